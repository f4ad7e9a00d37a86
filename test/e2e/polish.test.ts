// End-to-end: the Hardening issue's UI items in a real Chromium against a real store and API server. Findings that
// list a span twice, lost hops flagged and linked from both ends, and the polish points (word breaks, ligatures,
// keyboard help, the span search's counter, the attribute filter's message, the import toast's action, list times).
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { buildTestTrace } from '../../collector/api/testTrace';
import { setAttribute, SpanKind, StatusCode, type Resource, type Span } from '../../collector/model';
import { log, resource, span } from '../../collector/store/testing';
import type { Finding, Stitch } from '../../common/findings';
import { corpusPath } from '../corpus';
import { keyLabel, TRACE_VIEW_KEYS } from '../../renderer/src/model/keys';
import { browserSession, newPage, screenshot, startHopscope, type Hopscope, type Theme } from './harness';
import { AppShell } from './pages/app';
import { FindingsPage } from './pages/findings';
import { LogsPage } from './pages/logs';
import { TracePage } from './pages/trace';
import { TracesPage } from './pages/traces';

const THEMES: Theme[] = ['light', 'dark'];
const MS = 1_000_000n;

let hopscope: Hopscope | undefined;
const session = browserSession(async () => {
  await hopscope?.close();
  hopscope = undefined;
});

async function open(theme: Theme = 'light', hash = ''): Promise<{ page: Page; app: AppShell; errors: string[] }> {
  const { page, errors } = await newPage(session.browser, theme);
  session.pages.push(page);
  const app = new AppShell(page);
  await app.login(hopscope!.ui.url, hash);
  return { page, app, errors };
}

const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0');
const resourceOf = (service: string): Resource => resource(service, { 'host.name': `${service}-0` });

function spanOf(over: Partial<Span> & Pick<Span, 'traceId' | 'spanId' | 'name' | 'resource'>): Span {
  const now = BigInt(Date.now()) * MS;
  return span({ startNs: now, endNs: now + 5n * MS, ...over });
}

function finding(over: Partial<Finding> & Pick<Finding, 'kind' | 'subkind' | 'fingerprint' | 'title' | 'occurrences'>): Finding {
  return { severity: 'warning', service: 'worker', operation: 'process order', count: over.occurrences.length, evidence: {}, ...over };
}

/** A function of the element for `Locator.evaluate`, from its body: the tests compile without the DOM's types. */
function inPage<R>(body: string): (el: unknown) => R {
  return new Function('el', body) as (el: unknown) => R;
}

/**
 * The words (runs between white space) the layout split across two lines although they would fit on one: what
 * `word-break: break-all` does to "headers" ("hea" / "ders"). A token wider than the element may break.
 */
const splitWordsIn = inPage<string[]>(`
  const width = el.getBoundingClientRect().width;
  const split = [];
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const words = /\\S+/g;
    for (let m = words.exec(node.textContent); m; m = words.exec(node.textContent)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const rects = [...range.getClientRects()].filter((r) => r.width > 0);
      const lines = new Set(rects.map((r) => Math.round(r.top)));
      if (lines.size > 1 && rects.reduce((w, r) => w + r.width, 0) < width) split.push(m[0]);
    }
  }
  return split;
`);

async function splitWords(el: Locator): Promise<string[]> {
  return el.evaluate(splitWordsIn);
}

const fontOf = inPage<{ ligatures: string; features: string }>(`const style = getComputedStyle(el); return { ligatures: style.fontVariantLigatures, features: style.fontFeatureSettings };`);

async function fontVariant(el: Locator): Promise<{ ligatures: string; features: string }> {
  return el.evaluate(fontOf);
}

const isCut = inPage<boolean>(`return el.scrollWidth > el.clientWidth;`);

describe('findings', () => {
  it('shows each occurrence once, and switching findings leaves none of the previous one’s rows', async () => {
    hopscope = await startHopscope({
      analysis: {
        findings: () => ({
          findings: [
            // Twelve examples of which two name a span already listed: two analyses each kept it.
            finding({
              kind: 'dual-id',
              subkind: 'request-split',
              fingerprint: 'aaaa0001',
              title: '10 spans of `orders` started a new trace for a request that already had one',
              occurrences: [...Array.from({ length: 10 }, (_, i) => ({ traceId: hex(0xa00 + i, 32), spanId: hex(i + 1, 16) })), { traceId: hex(0xa00, 32), spanId: hex(1, 16) }, { traceId: hex(0xa03, 32), spanId: hex(4, 16) }],
            }),
            finding({
              kind: 'rpc-hop',
              subkind: 'server-root',
              fingerprint: 'bbbb0002',
              title: '3 spans of `billing` started a new trace for a call that came from a traced client',
              occurrences: Array.from({ length: 3 }, (_, i) => ({ traceId: hex(0xb00 + i, 32), spanId: hex(0x100 + i, 16) })),
            }),
          ],
          stitches: [],
        }),
      },
    });
    await hopscope.store.write(buildTestTrace());
    const { page, errors } = await open('light', '#/findings/aaaa0001');
    const view = new FindingsPage(page);
    const hrefs = () => view.occurrences().evaluateAll((els) => els.map((e) => e.getAttribute('href')));

    await expect.poll(() => view.occurrences().count()).toBe(10);
    expect(new Set(await hrefs()).size).toBe(10);
    expect(await view.detail().locator('h4', { hasText: 'Occurrences' }).textContent()).toBe('Occurrences 10');

    for (const [item, rows] of [
      [1, 3],
      [0, 10],
      [1, 3],
    ] as const) {
      await view.items().nth(item).click();
      await expect.poll(() => view.occurrences().count()).toBe(rows);
      expect(new Set(await hrefs()).size).toBe(rows);
    }
    expect(errors).toEqual([]);
  });
});

describe('a lost async hop', () => {
  const producerTrace = hex(0xf00d, 32);
  const consumerTrace = hex(0xc0de, 32);
  const now = BigInt(Date.now()) * MS;
  const api = resourceOf('orders-api');
  const worker = resourceOf('worker');
  const root = spanOf({ traceId: producerTrace, spanId: hex(1, 16), name: 'POST /orders', resource: api, kind: SpanKind.SERVER, startNs: now - 60_000n * MS, endNs: now - 60_000n * MS + 30n * MS });
  const publish = spanOf({ traceId: producerTrace, spanId: hex(2, 16), parentSpanId: root.spanId, name: 'publish order', resource: api, kind: SpanKind.PRODUCER, startNs: root.startNs + 5n * MS, endNs: root.startNs + 9n * MS });
  const consume = spanOf({ traceId: consumerTrace, spanId: hex(3, 16), name: 'process order', resource: worker, kind: SpanKind.CONSUMER, startNs: root.startNs + 40n * MS, endNs: root.startNs + 90n * MS });
  const stitch: Stitch = { kind: 'async-hop', confidence: 0.93, from: { traceId: producerTrace, spanId: publish.spanId }, to: { traceId: consumerTrace, spanId: consume.spanId }, signals: ['messaging.message.id', 'timing'] };
  const hint = 'The consumer started a new trace: inject the producer context into the message headers, and have the consumer extract it and link to it (or continue it).';
  const hop = finding({
    kind: 'async-hop',
    subkind: 'messaging',
    fingerprint: 'a5e1a5e1',
    title: '1 span of `worker` consumed a message without the producer’s context and started a new trace',
    // the consumer first, then more examples than fit on a screen
    occurrences: [{ traceId: consumerTrace, spanId: consume.spanId }, ...Array.from({ length: 40 }, (_, i) => ({ traceId: hex(0xe000 + i, 32), spanId: hex(0x500 + i, 16) }))],
    evidence: { producer: { traceId: producerTrace, spanId: publish.spanId, service: 'orders-api', operation: 'publish order' }, confidence: 0.93, signals: stitch.signals, waitMs: 31, hint },
  });

  it.each(THEMES)('is flagged on the producer’s trace too, and both ends link to the finding and the stitched view (%s)', async (theme) => {
    hopscope = await startHopscope({ analysis: { findings: () => ({ findings: [hop], stitches: [stitch] }) } });
    await hopscope.store.write({ spans: [root, publish, consume], logs: [] });
    const { page, app, errors } = await open(theme);

    // The list: the producer's trace counts the hop in its Issues column, and the has-finding filter keeps it.
    const traces = new TracesPage(page);
    await expect.poll(() => traces.rows().count()).toBe(2);
    await expect.poll(() => traces.row(producerTrace).locator('.badge.finding').textContent()).toBe('1');
    expect(await traces.row(consumerTrace).locator('.badge.finding').textContent()).toBe('1');
    await page.getByRole('button', { name: 'With findings' }).click();
    await expect.poll(() => traces.traceIds()).toEqual([consumerTrace, producerTrace]);

    // The producer's trace: its span is flagged and says where the work went.
    await app.go(`#/trace/${producerTrace}?span=${publish.spanId}`);
    const trace = new TracePage(page);
    await trace.waitLoaded();
    await expect.poll(() => trace.selectedSpanId()).toBe(publish.spanId);
    const row = trace.row(publish.spanId);
    expect(await row.locator('[data-testid="wf-hop"][data-side="producer"]').textContent()).toContain('continues');
    expect(await row.locator('.wf-icon.finding').count()).toBe(1);
    expect(await trace.row(root.spanId).locator('[data-testid="wf-hop"]').count()).toBe(0);
    expect(await page.getByTestId('trace-findings').textContent()).toContain('1 finding');
    const strip = trace.detail.root().locator('[data-testid="hop-strip"][data-side="producer"]');
    await expect.poll(() => strip.textContent()).toContain(`Continues in worker process order, trace ${consumerTrace.slice(0, 8)}…${consumerTrace.slice(-4)} (lost context)`);
    expect(await strip.getByTestId('hop-finding').getAttribute('href')).toBe('#/findings/a5e1a5e1');
    const stitched = `#/stitch?from=${producerTrace}%3A${publish.spanId}&to=${consumerTrace}%3A${consume.spanId}&span=${consume.spanId}`;
    expect(await strip.getByTestId('hop-stitched').getAttribute('href')).toBe(stitched);
    await screenshot(page, 'hop-producer', theme);

    // Its link opens the stitched view, the consumer hung under the producer.
    await strip.getByTestId('hop-stitched').click();
    await expect.poll(() => trace.row(consume.spanId).getAttribute('class')).toContain('stitched');
    expect((await trace.rowCounts()).total).toBe(3);
    await expect.poll(() => trace.selectedSpanId()).toBe(consume.spanId);
    // inside the stitched view the hop is joined: no link to itself, and no "continues" chip
    await expect.poll(() => trace.detail.root().getByTestId('hop-strip').textContent()).toContain('stitched here');
    expect(await trace.detail.root().getByTestId('hop-stitched').count()).toBe(0);
    expect(await page.getByTestId('wf-hop').count()).toBe(0);

    // The consumer's own trace: the same, seen from the other end.
    await app.go(`#/trace/${consumerTrace}?span=${consume.spanId}`);
    await expect.poll(() => trace.traceId().textContent()).toContain(consumerTrace);
    const back = trace.detail.root().locator('[data-testid="hop-strip"][data-side="consumer"]');
    await expect.poll(() => back.textContent()).toContain(`Continued from trace ${producerTrace.slice(0, 8)}…${producerTrace.slice(-4)} (lost context)`);
    expect(await back.getByTestId('hop-finding').getAttribute('href')).toBe('#/findings/a5e1a5e1');
    expect(await back.getByTestId('hop-stitched').getAttribute('href')).toBe(stitched);
    expect(await trace.row(consume.spanId).locator('[data-testid="wf-hop"][data-side="consumer"]').count()).toBe(1);
    // The finding's title flows as one text beside its flag, not one flex column per word run and code name.
    const title = trace.detail.root().locator('.finding-strip');
    expect(await title.locator(':scope > *').count()).toBe(2);
    expect(await title.textContent()).toContain('1 span of worker consumed a message');

    // The finding: its stitched trace is in view without scrolling past the occurrences.
    await back.getByTestId('hop-finding').click();
    const view = new FindingsPage(page);
    const link = view.stitchLinks().first();
    await link.waitFor();
    const box = (await link.boundingBox())!;
    expect(box.y + box.height).toBeLessThanOrEqual(page.viewportSize()!.height);
    // The evidence's hint wraps between words.
    const hintValue = view.detail().locator('.attr-row', { hasText: 'hint' }).locator('.attr-text');
    expect(await splitWords(hintValue)).toEqual([]);
    expect(errors).toEqual([]);
  });
});

describe('polish', () => {
  it('wraps stack traces and status messages between words, and draws `->` in data as written', async () => {
    hopscope = await startHopscope();
    const traceId = hex(0x5eed, 32);
    const failing = spanOf({
      traceId,
      spanId: hex(7, 16),
      name: 'GET /inventory',
      resource: resourceOf('inventory'),
      kind: SpanKind.CLIENT,
      status: { code: StatusCode.ERROR, message: 'upstream -> 503: context deadline exceeded (Client.Timeout exceeded while awaiting headers)' },
    });
    setAttribute(
      failing.attributes,
      'exception.stacktrace',
      'net/http: request canceled (Client.Timeout exceeded while awaiting headers)\ngoroutine 42 [running]:\nmain.fetchInventory(0xc000123456)\n\t/src/inventory/client.go:88 +0x1d4 timeout waiting for the upstream reply',
    );
    const record = log({ traceId, spanId: failing.spanId, timeNs: failing.startNs, observedNs: failing.startNs, severityNumber: 17, severityText: 'ERROR', body: 'upstream -> 503', resource: failing.resource });
    await hopscope.store.write({ spans: [failing], logs: [record] });
    const { page, app } = await open('light', `#/trace/${traceId}?span=${failing.spanId}`);
    const trace = new TracePage(page);
    await trace.waitLoaded();
    const stack = trace.detail.attributeValue('exception.stacktrace');
    await stack.waitFor();
    expect(await splitWords(stack)).toEqual([]);
    expect(await splitWords(page.locator('.status-message'))).toEqual([]);
    for (const el of [stack, page.locator('.detail-facts .mono').first()]) {
      const font = await fontVariant(el);
      expect(font.ligatures).toBe('none');
      expect(font.features).toMatch(/"calt" 0/);
    }

    await app.tab('Logs');
    const logs = new LogsPage(page);
    await expect.poll(() => logs.rows().count()).toBe(1);
    const body = logs.rows().first().locator('.log-body');
    expect(await body.textContent()).toBe('upstream -> 503');
    await expect.poll(async () => (await fontVariant(body)).ligatures).toBe('none');
    await logs.select(0);
    const full = page.locator('.log-body-full');
    await full.waitFor();
    await expect.poll(async () => (await fontVariant(full)).ligatures).toBe('none');
  });

  it.each(THEMES)('lists every key on ?, and keeps the keys from the view behind while open (%s)', async (theme) => {
    hopscope = await startHopscope();
    const batch = buildTestTrace();
    await hopscope.store.write(batch);
    const { page } = await open(theme, `#/trace/${batch.spans[0].traceId}`);
    const trace = new TracePage(page);
    await trace.waitLoaded();
    await expect.poll(() => trace.selectedName()).toBe('POST /api/checkout');

    await page.keyboard.press('?');
    const help = page.getByTestId('keyboard-help');
    await help.waitFor();
    const caps = await help.locator('kbd').allTextContents();
    for (const key of ['?', '/', ...Object.keys(TRACE_VIEW_KEYS).map(keyLabel), 'Shift+Enter', 'Ctrl+O', 'Ctrl+Enter']) expect(caps).toContain(key);
    expect(await help.textContent()).toContain('Fold the span, or go to its parent');
    await screenshot(page, 'keyboard-help', theme);

    // j would move the selection and Esc close the span: the list takes them while open.
    await trace.press('j');
    expect(await trace.selectedName()).toBe('POST /api/checkout');
    await trace.press('Escape');
    await help.waitFor({ state: 'detached' });
    expect(await trace.detail.root().count()).toBe(1);
    await trace.press('?');
    await help.waitFor();
    await trace.press('?');
    await help.waitFor({ state: 'detached' });
    // The toolbar offers it too.
    await page.getByTestId('show-keys').click();
    await help.waitFor();
    await help.getByRole('button', { name: 'Close', exact: true }).click();
    await help.waitFor({ state: 'detached' });
    // In a text field ? is text.
    await trace.press('/');
    await page.keyboard.type('?');
    expect(await page.getByTestId('keyboard-help').count()).toBe(0);
  });

  it('counts the match being shown as 1/1 while typing, before any Enter', async () => {
    hopscope = await startHopscope();
    const batch = buildTestTrace();
    await hopscope.store.write(batch);
    const { page } = await open('light', `#/trace/${batch.spans[0].traceId}`);
    const trace = new TracePage(page);
    await trace.waitLoaded();
    await trace.press('/');
    await page.keyboard.type('hgetall');
    await expect.poll(() => page.getByTestId('match-count').textContent()).toBe('1/1');
    expect(await trace.selectedName()).toBe('hgetall');
    expect(await page.locator('.wf-row.match').count()).toBe(1);
    // Moving off the match says how many there are rather than "0/1".
    await page.getByTestId('trace-search').blur();
    await trace.press('Home');
    await expect.poll(() => page.getByTestId('match-count').textContent()).toBe('1 match');
    await trace.press('n');
    await expect.poll(() => page.getByTestId('match-count').textContent()).toBe('1/1');
  });

  it('filters by a key being present and by a value prefix, and says what to write when the key is missing', async () => {
    hopscope = await startHopscope();
    const batch = buildTestTrace();
    await hopscope.store.write(batch);
    const route = Object.entries(batch.spans.find((s) => Object.hasOwn(s.attributes, 'http.route'))!.attributes).find(([k]) => k === 'http.route')![1] as string;
    const { page } = await open();
    const traces = new TracesPage(page);
    await expect.poll(() => traces.rows().count()).toBe(1);
    await traces.addAttribute('=acme');
    const problem = page.getByTestId('attr-problem');
    await problem.waitFor();
    expect(await problem.textContent()).toBe('The key is missing: use key, key=value or key=prefix*, e.g. http.route=/api/orders*');
    expect(await page.getByTestId('filter-attribute').getAttribute('aria-invalid')).toBe('true');
    // A bare key: traces with the attribute at all.
    await page.getByTestId('filter-attribute').fill('http.route');
    expect(await problem.count()).toBe(0);
    await page.getByTestId('filter-attribute').press('Enter');
    await page.getByRole('button', { name: 'Remove http.route' }).waitFor();
    await expect.poll(() => traces.rows().count()).toBe(1);
    // A prefix of its value finds it; one it does not start with leaves the list empty.
    await traces.addAttribute(`http.route=${route.slice(0, 3)}*`);
    await page.getByRole('button', { name: `Remove http.route=${route.slice(0, 3)}*` }).waitFor();
    await expect.poll(() => traces.rows().count()).toBe(1);
    await traces.addAttribute('http.route=/nowhere*');
    await expect.poll(() => traces.rows().count()).toBe(0);
  });

  it.each(THEMES)('offers the imported traces from the import toast, filtered to their time range (%s)', async (theme) => {
    hopscope = await startHopscope();
    const today = buildTestTrace();
    await hopscope.store.write(today);
    const { page, app } = await open(theme);
    const traces = new TracesPage(page);
    await expect.poll(() => traces.rows().count()).toBe(1);
    await app.uploadFile(corpusPath('otel-tui/test_data.json'));
    const toast = app.importToast().filter({ hasText: 'test_data.json' });
    await toast.and(page.locator('[data-phase="done"]')).waitFor({ timeout: 20_000 });
    const show = toast.getByTestId('import-show-traces');
    await show.waitFor({ timeout: 5_000 });
    expect(await toast.getByTestId('import-range').textContent()).toMatch(/^Traces started 2024-10-\d\d \d\d:\d\d:\d\d – [\d:-]+/);
    await screenshot(page, 'import-toast', theme);

    await show.click();
    await page.getByTestId('time-range-chip').waitFor();
    // Every trace of the file, from October 2024, and not today's.
    await expect.poll(() => traces.resultCount().textContent(), { timeout: 10_000 }).toContain('100+');
    const ids = await traces.traceIds();
    expect(ids).not.toContain(today.spans[0].traceId);
    const times = await traces.rows().locator('.cell.time').allTextContents();
    for (const t of times) expect(t).toMatch(/^2024-10-30 \d\d:\d\d:\d\d$/);
    // and shown whole, not cut off
    expect(await traces.rows().first().locator('.cell.time').evaluate(isCut)).toBe(false);
    expect(await app.importToast().count()).toBe(0);
  });

  it('lists a trace from another year to the second, in start order among the others', async () => {
    hopscope = await startHopscope();
    const now = BigInt(Date.now()) * MS;
    const recent = buildTestTrace(now);
    const year = 366n * 24n * 3600n * 1000n * MS;
    const old = spanOf({ traceId: hex(0x01d, 32), spanId: hex(1, 16), name: 'GET /archive', resource: resourceOf('archive'), kind: SpanKind.SERVER, startNs: now - year - 7_000n * MS, endNs: now - year });
    const older = spanOf({ traceId: hex(0x01e, 32), spanId: hex(2, 16), name: 'GET /archive', resource: resourceOf('archive'), kind: SpanKind.SERVER, startNs: now - 2n * year, endNs: now - 2n * year + 5n * MS });
    await hopscope.store.write(recent);
    await hopscope.store.write({ spans: [older], logs: [] });
    const { page } = await open();
    const traces = new TracesPage(page);
    await expect.poll(() => traces.rows().count()).toBe(2);
    // One arriving live while the list is open goes where its start puts it.
    await hopscope.store.write({ spans: [old], logs: [] });
    await expect.poll(() => traces.traceIds(), { timeout: 10_000 }).toEqual([recent.spans[0].traceId, old.traceId, older.traceId]);
    const at = new Date(Number(old.startNs / MS));
    const pad = (n: number) => String(n).padStart(2, '0');
    expect(await traces.row(old.traceId).locator('.cell.time').textContent()).toBe(
      `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`,
    );
  });
});
