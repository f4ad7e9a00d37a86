// End-to-end: the receivers of a real collector refuse requests under load, and the top bar says so, with a
// tooltip on why and what exporters do, without waiting for a commit to carry the news; and what retention
// removed, the analysis backlog and the traces too large to analyze live. Screenshots land in
// test-results/screenshots/{refusal,retention,backlog,set-aside}-pill-*.png.
import { describe, expect, it } from 'vitest';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { openStore } from '../../collector/store';
import { span, spanId, traceId } from '../../collector/store/testing';
import { headersOnly, heldRequest, post } from '../held-requests';
import { recordSpans } from '../sdk';
import { browserSession, newPage, screenshot, startServe, storePaddedTraces, type Hopscope, type Theme } from './harness';
import { formatCount } from '../../renderer/src/model/format';
import type { WireStats } from '../../common/wire';
import { wideTrace } from '../../fixtures/wide-trace';
import { AppShell } from './pages/app';

let hopscope: Hopscope | undefined;
const session = browserSession(async () => {
  await hopscope?.close();
  hopscope = undefined;
});

describe('requests refused by the receivers', () => {
  it.each(['light', 'dark'] as Theme[])('show as a warning pill in the top bar, with why in its tooltip (%s)', async (theme) => {
    hopscope = await startServe({ settleMs: 60_000, windowMs: 60_000 });
    const { page, errors } = await newPage(session.browser, theme);
    session.pages.push(page);
    const app = new AppShell(page);
    await app.login(hopscope.ui.url);
    const pill = page.getByTestId('refusal-pill');
    expect(await pill.count()).toBe(0);

    // One export admitted and held back; while it holds its bytes, three of 16 MiB find no room (the bound is 8 MiB).
    const url = `${hopscope.otlpHttp}/v1/traces`;
    const spans = await recordSpans({ 'service.name': 'refused-e2e' }, (tracer) => tracer.startSpan('op', { startTime: 1_700_000_000_000 }).end(1_700_000_000_005));
    const body = ProtobufTraceSerializer.serializeRequest(spans)!;
    const held = await heldRequest(url, body);
    for (let i = 0; i < 3; i++) expect((await headersOnly(url, 16 * 1024 * 1024)).status).toBe(503);
    // And one the exporter gets wrong: failed, not retried.
    expect((await post(url, new Uint8Array([0x0a, 0x05, 0x01]))).status).toBe(400);

    await pill.filter({ hasText: '4 requests refused' }).waitFor();
    expect(await pill.getAttribute('class')).toContain('refusing');
    const tooltip = (await pill.getAttribute('title'))!;
    expect(tooltip).toContain('did not store 4 export requests');
    expect(tooltip).toContain('3 were refused with 503 because more data arrived than Hopscope takes in at once');
    expect(tooltip).toContain('Exporters retry such a batch a few times within their export timeout (10 s by default), then drop it.');
    expect(tooltip).toContain('1 failed (undecodable, over the size limit, or not an OTLP export)');
    expect(tooltip).toContain('Last: cannot decode traces request');
    expect(tooltip).toContain('Refusals are going on now.');
    await screenshot(page, 'refusal-pill', theme);

    expect((await held.send()).status).toBe(200);
    // Quiet for a few seconds: still counted, no longer under way.
    await page.locator('[data-testid="refusal-pill"]:not(.refusing)').waitFor({ timeout: 20_000 });
    expect(await pill.textContent()).toContain('4 requests refused');
    expect(await pill.getAttribute('title')).toContain('None in the last few seconds.');
    await screenshot(page, 'refusal-pill-after', theme);
    expect(errors).toEqual([]);
  }, 60_000);
});

describe('what retention removed', () => {
  it.each(['light', 'dark'] as Theme[])('shows as a neutral pill in the top bar, with the limits and how to keep more in its tooltip (%s)', async (theme) => {
    hopscope = await startServe({
      settleMs: 60_000,
      windowMs: 60_000,
      retention: { maxBytes: 3 * 2 ** 20 },
      // About 6 MB of traces already stored: twice what this serve keeps.
      prepare: (db) => storePaddedTraces(db, 2000),
    });
    const { page, errors } = await newPage(session.browser, theme);
    session.pages.push(page);
    const app = new AppShell(page);
    await app.login(hopscope.ui.url);
    const pill = page.getByTestId('retention-pill');
    await pill.waitFor({ timeout: 15_000 });
    // The pass removes a hundred traces a step; the pill follows (every few seconds) until it is done.
    const shown = () => pill.evaluate((el) => ({ text: el.textContent!, title: el.getAttribute('title')!, cls: el.className }));
    const removedIn = (title: string) => Number(/Retention removed [\d,]+ spans in ([\d,]+) traces/.exec(title)?.[1].replace(/,/g, ''));
    await expect.poll(async () => removedIn((await shown()).title), { timeout: 20_000 }).toBeGreaterThan(1000);
    const { text, title: tooltip, cls } = await shown();
    const removed = removedIn(tooltip);
    expect(text).toBe(`${formatCount(removed)} old traces removed`);
    expect(cls).not.toContain('refusing');
    expect(tooltip).toBe(
      `Retention removed ${(removed * 3).toLocaleString('en-US')} spans in ${removed.toLocaleString('en-US')} traces and 0 log records since start, oldest first: the store keeps at most 3 MiB of data, ` +
        'and what arrived within the last 7 days. Keep more in Storage settings (the database button) or with hopscope serve --max-db-size / --max-age.',
    );
    await screenshot(page, 'retention-pill', theme);
    expect(errors).toEqual([]);
  });
});

describe('traces waiting for analysis', () => {
  it.each(['light', 'dark'] as Theme[])('show as a pill with the pace and time left, and the findings say they are incomplete until it drains (%s)', async (theme) => {
    hopscope = await startServe({
      settleMs: 1000,
      windowMs: 60_000,
      // As `import --no-analysis` leaves them: 60,000 traces stored, none analyzed yet (analysis takes thousands a
      // second, so fewer would be gone before the page shows them).
      prepare: async (db) => {
        const store = openStore({ path: db });
        for (let n = 1; n <= 60_000; n += 2000) {
          await store.write({ spans: Array.from({ length: 2000 }, (_, i) => span({ traceId: traceId(n + i), spanId: spanId(n + i) })), logs: [] });
        }
        await store.close();
      },
    });
    const { page, errors } = await newPage(session.browser, theme);
    session.pages.push(page);
    const app = new AppShell(page);
    await app.login(hopscope.ui.url, '#/findings');
    const pill = page.getByTestId('backlog-pill');
    await pill.waitFor({ timeout: 10_000 });
    expect(await pill.textContent()).toMatch(/^Analyzing [\d.]+k traces(· \d+ (s|min))?$/);
    expect(await pill.getAttribute('title')).toMatch(/^[\d,]+ traces wait for analysis( \(\d+\/s, about \d+ (s|min) left\))?; findings are incomplete until then\.$/);
    const notice = page.getByTestId('analysis-behind');
    await notice.waitFor();
    expect(await notice.textContent()).toMatch(/^Findings are incomplete: [\d,]+ traces wait for analysis( \(\d+\/s, about \d+ (s|min) left\))?\.$/);
    // The pace once analysis has run a while.
    await expect.poll(() => pill.textContent(), { timeout: 10_000 }).toMatch(/· \d+ (s|min)$/);
    await screenshot(page, 'backlog-pill', theme);
    // Drained: both go.
    await pill.waitFor({ state: 'detached', timeout: 60_000 });
    await notice.waitFor({ state: 'detached' });
    expect(errors).toEqual([]);
  }, 120_000);
});

describe('traces too large to analyze live', () => {
  it.each(['light', 'dark'] as Theme[])('show as a warning pill in the top bar, and the findings say theirs are missing and what analyzes them (%s)', async (theme) => {
    hopscope = await startServe({
      settleMs: 1000,
      windowMs: 60_000,
      // one trace over serve's limit (MAX_LIVE_TRACE_SPANS: 100,000 spans) and one beside it, analyzed
      prepare: async (db) => {
        const store = openStore({ path: db });
        const wide = wideTrace({ spans: 100_001, fanout: 6, startNs: BigInt(Date.now() - 3_600_000) * 1_000_000n });
        for (const batch of wide.batches) await store.write({ spans: batch, logs: [] });
        await store.write({ spans: [span({ traceId: traceId(0xbeef), spanId: spanId(0xbeef), parentSpanId: spanId(0xdead) })], logs: [] });
        await store.close();
      },
    });
    const { page, errors } = await newPage(session.browser, theme);
    session.pages.push(page);
    const app = new AppShell(page);
    await app.login(hopscope.ui.url, '#/findings');
    const pill = page.getByTestId('set-aside-pill');
    await pill.waitFor({ timeout: 15_000 });
    expect(await pill.textContent()).toBe('1 trace too large to analyze live');
    const explanation =
      "1 trace is too large to analyze live (more spans than serve's analysis worker holds, or it ran it out of memory): stored, but without findings " +
      'of its own. hopscope serve names each in its terminal; hopscope analyze --db with this database analyzes it.';
    expect(await pill.getAttribute('title')).toBe(explanation);
    expect(await pill.getAttribute('class')).not.toContain('refusing');
    const notice = page.getByTestId('analysis-set-aside');
    await notice.waitFor();
    expect(await notice.textContent()).toBe('Findings are incomplete: 1 trace too large to analyze live; hopscope analyze --db analyzes it.');
    expect(await notice.getAttribute('title')).toBe(explanation);
    // the trace beside it is analyzed: its finding is listed under the notice
    await page.getByTestId('finding-item').first().waitFor({ timeout: 15_000 });
    await screenshot(page, 'set-aside-pill', theme);
    expect(errors).toEqual([]);
  }, 60_000);
});

describe('every notice at once', () => {
  it.each(['light', 'dark'] as Theme[])('fit in the top bar at 1280 px: short texts in the counts’ place, all of each in its tooltip (%s)', async (theme) => {
    hopscope = await startServe({ settleMs: 60_000, windowMs: 60_000 });
    const { page, errors } = await newPage(session.browser, theme);
    session.pages.push(page);
    // what a collector that refused requests, removed old data, is behind and set traces aside says of itself
    const stats: WireStats = {
      spans: 1_234_567,
      traces: 98_765,
      logs: 456_789,
      services: 12,
      dbBytes: 1 << 30,
      findings: 42,
      ingest: { refusedRequests: 1234, failedRequests: 5, refusedSpans: 630_000, refusedLogs: 0, refusing: true, lastReason: 'busy' },
      retention: { maxBytes: 1 << 30, maxAgeMs: 7 * 86_400_000, settable: true, removedTraces: 150_000, removedSpans: 1_200_000, removedLogs: 0 },
      analysisBacklog: { due: 90_000, perSecond: 6000 },
      analysisSetAside: 3,
    };
    await page.route('**/api/events', (route) => route.fulfill({ status: 200, contentType: 'text/event-stream', body: `event: stats\ndata: ${JSON.stringify(stats)}\n\n` }));
    // (the stream ends after the one event, so the page goes on reconnecting: it is not waited to be live)
    await page.goto(`${hopscope.ui.url}#/findings`);
    const pills = { 'refusal-pill': '1.24k refused', 'backlog-pill': '90k to analyze', 'set-aside-pill': '3 too large', 'retention-pill': '150k removed' };
    for (const [id, short] of Object.entries(pills)) await page.getByTestId(id).filter({ hasText: short }).waitFor();

    const bar = page.locator('header.topbar');
    expect(await bar.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(false);
    const toggle = (await page.getByTestId('theme-toggle').boundingBox())!;
    expect(toggle.x + toggle.width).toBeLessThanOrEqual(1280);
    // the counts and the import button's label made room; the live pill keeps its size
    expect(await page.getByTestId('stats').isVisible()).toBe(false);
    expect(await page.getByTestId('import-button').locator('.button-label').isVisible()).toBe(false);
    expect((await page.getByTestId('live-status').boundingBox())!.width).toBe(108);
    // each short text whole, each long one in the tooltip
    const cut = await page
      .getByTestId('topbar-notices')
      .locator('.pill-text')
      .evaluateAll((texts) => texts.filter((t) => t.scrollWidth > t.clientWidth).map((t) => t.textContent));
    expect(cut).toEqual([]);
    expect(await page.getByTestId('set-aside-pill').getAttribute('title')).toContain('3 traces are too large to analyze live');
    expect(await page.getByTestId('refusal-pill').getAttribute('title')).toContain('did not store 1239 export requests');
    await screenshot(page, 'all-notices', theme);

    // wider, the long texts and the counts come back
    await page.setViewportSize({ width: 2000, height: 800 });
    await page.getByTestId('set-aside-pill').filter({ hasText: '3 traces too large to analyze live' }).waitFor();
    expect(await page.getByTestId('stats').isVisible()).toBe(true);
    expect(await page.getByTestId('refusal-pill').textContent()).toBe('1.24k requests refused');
    expect(errors).toEqual([]);
  }, 60_000);
});
