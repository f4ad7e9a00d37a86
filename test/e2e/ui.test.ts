// End-to-end: the built renderer in a real Chromium against a real store and API server, one data
// directory per test. Screenshots of every view land in test-results/screenshots (light and dark).
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { CLAIM_CONFIDENCE } from '../../collector/analysis';
import { buildTestTrace } from '../../collector/api/testTrace';
import { workerPool } from '../../fixtures/async-hops';
import { wideTrace } from '../../fixtures/wide-trace';
import { setAttribute, SpanKind, StatusCode, type Resource, type Span } from '../../collector/model';
import { resource, span } from '../../collector/store/testing';
import type { ClusterChange } from '../../collector/store/cluster';
import type { ClusterKind, ClusterStateOf, ContainerState, ObjectIdentity, PodState } from '../../common/cluster';
import type { Finding } from '../../common/findings';
import { corpusPath } from '../corpus';
import { browserSession, newPage, screenshot, startHopscope, startServe, type Hopscope, type Theme } from './harness';
import { AppShell } from './pages/app';
import { FindingsPage } from './pages/findings';
import { LogsPage } from './pages/logs';
import { TracePage } from './pages/trace';
import { EmptyStatePage, TracesPage } from './pages/traces';
import { evidenceLabel } from '../../renderer/src/model/format';

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

const resourceOf = (service: string, host = `${service}-0`): Resource => resource(service, { 'host.name': host });

/** A span that happened just now, unless told otherwise. */
function spanOf(over: Partial<Span> & Pick<Span, 'traceId' | 'spanId' | 'name' | 'resource'>): Span {
  const now = BigInt(Date.now()) * MS;
  return span({ startNs: now, endNs: now + 5n * MS, ...over });
}

const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0');

describe('empty state', () => {
  it.each(THEMES)('tells a new user how to send data, and sends a test trace (%s)', async (theme) => {
    hopscope = await startHopscope({ receivers: true });
    const { page, errors } = await open(theme);
    const empty = new EmptyStatePage(page);
    await empty.root().waitFor();
    await expect.poll(() => empty.envBlocks().count()).toBe(2);
    const blocks = await empty.envBlocks().allTextContents();
    expect(blocks[0]).toContain(`OTEL_EXPORTER_OTLP_ENDPOINT=${hopscope.otlpHttp}`);
    expect(blocks[0]).toContain('OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf');
    expect(blocks[1]).toContain('OTEL_EXPORTER_OTLP_PROTOCOL=grpc');
    // both cards send logs as well as traces
    for (const block of blocks) expect(block).toContain('OTEL_LOGS_EXPORTER=otlp');
    await screenshot(page, 'empty-state', theme);

    await empty.sendTestTrace();
    const trace = new TracePage(page);
    await trace.waitLoaded();
    await expect.poll(() => trace.spanRows().count()).toBe(15);
    expect(errors).toEqual([]);
  });
});

describe('fonts', () => {
  it('draws text in the fonts bundled with the renderer, served from its own origin under the CSP', async () => {
    hopscope = await startHopscope();
    const { page, errors } = await open();
    await new EmptyStatePage(page).envBlocks().first().waitFor();
    const loaded = (await page.evaluate(`document.fonts.ready.then(() => [...document.fonts].filter((f) => f.status === 'loaded').map((f) => f.family.replaceAll('"', '')))`)) as string[];
    expect(new Set(loaded)).toEqual(new Set(['Inter Variable', 'JetBrains Mono Variable']));
    const files = (await page.evaluate(`performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.endsWith('.woff2'))`)) as string[];
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const file of files) expect(new URL(file).origin).toBe(hopscope.ui.origin);
    expect(await page.evaluate(`getComputedStyle(document.body).fontFamily`)).toMatch(/^"Inter Variable",/);
    expect(errors).toEqual([]);
  });
});

describe('live traces', () => {
  it('shows spans sent with the official OTLP exporter as they arrive, without a reload', async () => {
    hopscope = await startHopscope({ receivers: true });
    await hopscope.store.write(buildTestTrace());
    const { page } = await open();
    const traces = new TracesPage(page);
    await expect.poll(() => traces.rows().count()).toBe(1);

    const exporter = new OTLPTraceExporter({ url: `${hopscope.otlpHttp}/v1/traces` });
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'inventory' }),
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
    });
    const tracer = provider.getTracer('e2e');
    const root = tracer.startSpan('GET /stock/{sku}');
    root.setAttribute('http.route', '/stock/{sku}');
    root.end();
    await provider.forceFlush();
    await provider.shutdown();

    const row = page.locator('[data-testid="trace-row"]', { hasText: 'inventory' });
    await row.waitFor({ timeout: 10_000 });
    await expect.poll(() => traces.rows().count()).toBe(2);
    expect(await traces.traceIds()).toContain(root.spanContext().traceId);
  });
});

describe('search and filter', () => {
  it.each(THEMES)('narrows the list by service, status, attribute and duration (%s)', async (theme) => {
    hopscope = await startHopscope();
    const now = BigInt(Date.now()) * MS;
    for (let i = 0; i < 3; i++) await hopscope.store.write(buildTestTrace(now - BigInt(i) * 5000n * MS));
    const billing = resourceOf('billing');
    const quick = spanOf({ traceId: hex(0xb1, 32), spanId: hex(1, 16), name: 'GET /invoice', resource: billing, kind: SpanKind.SERVER, startNs: now - 60_000n * MS, endNs: now - 60_000n * MS + 3n * MS });
    setAttribute(quick.attributes, 'tenant', 'acme');
    const failing = spanOf({
      traceId: hex(0xb2, 32),
      spanId: hex(2, 16),
      name: 'POST /invoice',
      resource: billing,
      kind: SpanKind.SERVER,
      startNs: now - 30_000n * MS,
      endNs: now - 30_000n * MS + 900n * MS,
      status: { code: StatusCode.ERROR, message: 'ledger locked' },
    });
    setAttribute(failing.attributes, 'tenant', 'globex');
    await hopscope.store.write({ spans: [quick, failing], logs: [] });

    const { page } = await open(theme);
    const traces = new TracesPage(page);
    await expect.poll(() => traces.rows().count()).toBe(5);
    // Ticks 5 or 10 s apart over the last minute: every label to the second, a minute boundary included.
    const labels = await traces.timeAxisLabels();
    expect(labels.length).toBeGreaterThanOrEqual(4);
    for (const label of labels) expect(label).toMatch(/^([A-Z][a-z]{2} \d{1,2} )?[0-2]\d:[0-5]\d:[0-5]\d$/);
    await screenshot(page, 'traces', theme);

    await traces.filterService('billing');
    await expect.poll(() => traces.traceIds()).toEqual([failing.traceId, quick.traceId]);
    await traces.filterStatus('Errors');
    await expect.poll(() => traces.traceIds()).toEqual([failing.traceId]);
    await traces.filterStatus('Any');
    await traces.addAttribute('tenant=acme');
    await expect.poll(() => traces.traceIds()).toEqual([quick.traceId]);
    await traces.removeChip('tenant=acme');
    await traces.minDuration('500ms');
    await expect.poll(() => traces.traceIds()).toEqual([failing.traceId]);
    await traces.filterService('');
    await traces.minDuration('150ms');
    await expect.poll(() => traces.rows().count()).toBe(4);
    await traces.minDuration('');
    await expect.poll(() => traces.rows().count()).toBe(5);

    // Brushing the older half of the chart keeps the two billing traces (60 s and 30 s ago).
    await traces.brush(0.01, 0.55);
    await expect.poll(() => traces.traceIds()).toEqual([failing.traceId, quick.traceId]);
    await page.getByTestId('time-range-chip').waitFor();
    await screenshot(page, 'traces-filtered', theme);
  });
});

describe('a trace', () => {
  async function seed(h: Hopscope): Promise<{ linked: Span; linking: Span }> {
    const checkout = buildTestTrace();
    await h.store.write(checkout);
    // A second trace whose root links to a span of the first, as a batch job started by a request would.
    const linked = checkout.spans.find((s) => s.name === 'publish orders')!;
    const linking = spanOf({ traceId: hex(0xc0ffee, 32), spanId: hex(0xbeef, 16), name: 'nightly reconcile', resource: resourceOf('reconciler'), kind: SpanKind.CONSUMER });
    linking.links.push({ traceId: linked.traceId, spanId: linked.spanId, traceState: '', attributes: {}, droppedAttributesCount: 0, flags: 1 });
    await h.store.write({ spans: [linking], logs: [] });
    return { linked, linking };
  }

  it.each(THEMES)('collapses, moves with the keyboard, opens a span and follows a link across traces (%s)', async (theme) => {
    hopscope = await startHopscope();
    const { linked, linking } = await seed(hopscope);
    const { page, app, errors } = await open(theme, `#/trace/${linked.traceId}`);
    const trace = new TracePage(page);
    await trace.waitLoaded();
    await expect.poll(() => trace.spanRows().count()).toBe(15);
    expect(await trace.selectedName()).toBe('POST /api/checkout');

    // Keyboard: down twice, then left folds the selected subtree, right opens it again.
    await trace.press('j', 'j');
    expect(await trace.selectedName()).toBe('checkout.CheckoutService/PlaceOrder');
    await trace.press('ArrowLeft');
    expect(await trace.rowCounts()).toEqual({ visible: 3, total: 15 });
    await trace.press('ArrowRight');
    expect((await trace.rowCounts()).visible).toBe(15);
    await trace.press('k');
    expect(await trace.selectedName()).toBe('checkout.CheckoutService/PlaceOrder');
    await trace.press('Enter');
    expect((await trace.rowCounts()).visible).toBe(2);
    await trace.press('Enter');

    // Collapse with the mouse.
    const cartClient = trace.rowNamed('cart.CartService/GetCart').first();
    await cartClient.getByRole('button', { name: 'Collapse' }).click();
    expect((await trace.rowCounts()).visible).toBe(12);
    await cartClient.getByRole('button', { name: 'Expand' }).click();

    // Search within the trace jumps to the match.
    await trace.search('hgetall');
    await expect.poll(() => trace.selectedName()).toBe('hgetall');
    await expect.poll(() => page.getByTestId('match-count').textContent()).toBe('1/1');

    // Open a span: its attributes, resource and logs.
    await trace.rowNamed('payment.PaymentService/Charge').nth(1).click();
    await expect.poll(() => trace.detail.attributeValue('rpc.method').textContent()).toBe('Charge');
    expect(await trace.detail.attributeValue('k8s.namespace.name').textContent()).toBe('shop');
    await trace.detail.filterAttributes('currency');
    await expect.poll(() => trace.detail.root().locator('.attr-row').count()).toBe(1);
    await trace.detail.tab('logs');
    await expect.poll(() => trace.detail.logs().allTextContents()).toEqual([expect.stringContaining('charge captured')]);
    await trace.detail.tab('json');
    await trace.detail.json().locator('.view-lines').waitFor();
    // Monaco renders spaces as no-break spaces.
    await expect.poll(async () => (await trace.detail.json().textContent())?.replace(/\u00a0/g, ' ')).toContain('"rpc.method": "Charge"');
    await screenshot(page, 'trace', theme);

    // Follow a link: the consumer in another trace links back to this trace's publish span.
    await app.go(`#/trace/${linking.traceId}`);
    await expect.poll(() => trace.traceId().textContent()).toContain(linking.traceId);
    await trace.detail.tab('links');
    await trace.detail.links().first().click();
    await expect.poll(() => trace.traceId().textContent()).toContain(linked.traceId);
    await expect.poll(() => trace.selectedSpanId()).toBe(linked.spanId);
    expect(await trace.detail.spanId()).toBe(linked.spanId);
    expect(errors).toEqual([]);
  });

  it.each(THEMES)('shows orphans under a missing-parent row and marks clock skew (%s)', async (theme) => {
    hopscope = await startHopscope();
    const traceId = hex(0xabc, 32);
    const t0 = BigInt(Date.now()) * MS;
    const api = resourceOf('api', 'node-a');
    const db = resourceOf('db', 'node-b');
    await hopscope.store.write({
      spans: [
        spanOf({ traceId, spanId: hex(1, 16), name: 'GET /orders', resource: api, kind: SpanKind.SERVER, startNs: t0, endNs: t0 + 80n * MS }),
        spanOf({ traceId, spanId: hex(2, 16), parentSpanId: hex(1, 16), name: 'query orders', resource: api, kind: SpanKind.CLIENT, startNs: t0 + 5n * MS, endNs: t0 + 40n * MS }),
        // The db host's clock runs 12 ms behind: its server span starts before the client that called it.
        spanOf({ traceId, spanId: hex(3, 16), parentSpanId: hex(2, 16), name: 'SELECT orders', resource: db, kind: SpanKind.SERVER, startNs: t0 - 7n * MS, endNs: t0 + 25n * MS }),
        spanOf({ traceId, spanId: hex(4, 16), parentSpanId: hex(0xdead, 16), name: 'send receipt', resource: api, startNs: t0 + 50n * MS, endNs: t0 + 70n * MS }),
        spanOf({ traceId, spanId: hex(5, 16), parentSpanId: hex(0xdead, 16), name: 'audit', resource: api, startNs: t0 + 55n * MS, endNs: t0 + 60n * MS }),
      ],
      logs: [],
    });
    const { page } = await open(theme, `#/trace/${traceId}`);
    const trace = new TracePage(page);
    await trace.waitLoaded();
    await expect.poll(() => trace.placeholderRows().count()).toBe(1);
    expect(await trace.placeholderRows().locator('.wf-op').getAttribute('title')).toContain(hex(0xdead, 16));
    expect(await trace.placeholderRows().textContent()).toContain('2 orphaned');
    expect(await trace.rowCounts()).toEqual({ visible: 6, total: 6 });
    expect(await trace.row(hex(3, 16)).locator('.wf-icon.skew').count()).toBe(1);
    expect(await trace.row(hex(2, 16)).locator('.wf-icon.skew').count()).toBe(0);
    await trace.placeholderRows().getByRole('button', { name: 'Collapse' }).click();
    expect(await trace.rowCounts()).toEqual({ visible: 4, total: 6 });
    await trace.placeholderRows().locator('.wf-op').click();
    await expect.poll(() => page.locator('.detail-body p').first().textContent()).toContain(`2 spans name ${hex(0xdead, 16)} as their parent`);
    await screenshot(page, 'trace-orphans', theme);
  });
});

describe('logs', () => {
  it.each(THEMES)('filters logs and jumps from a log to its span (%s)', async (theme) => {
    hopscope = await startHopscope();
    const batch = buildTestTrace();
    await hopscope.store.write(batch);
    const { page, app } = await open(theme);
    await app.tab('Logs');
    const logs = new LogsPage(page);
    await expect.poll(() => logs.rows().count()).toBe(6);
    await logs.minSeverity('WARN and up');
    await expect.poll(() => logs.rows().count()).toBe(1);
    await logs.minSeverity('Any severity');
    await logs.search('order placed');
    await expect.poll(() => logs.rows().count()).toBe(1);
    await logs.select(0);
    await logs.detail().waitFor();
    await screenshot(page, 'logs', theme);

    await logs.openSpanOf(0);
    const trace = new TracePage(page);
    await trace.waitLoaded();
    const placeOrder = batch.spans.find((s) => s.name === 'checkout.CheckoutService/PlaceOrder' && s.kind === SpanKind.SERVER)!;
    await expect.poll(() => trace.selectedSpanId()).toBe(placeOrder.spanId);
    await expect.poll(() => trace.detail.spanId()).toBe(placeOrder.spanId);
  });
});

describe('import', () => {
  it('imports a corpus file uploaded from the page and lists its traces', async () => {
    hopscope = await startHopscope();
    await hopscope.store.write(buildTestTrace());
    const { page, app } = await open();
    await app.uploadFile(corpusPath('otel-tui/test_data.json'));
    const toast = app.importToast().filter({ hasText: 'test_data.json' });
    await toast.and(page.locator('[data-phase="done"]')).waitFor({ timeout: 20_000 });
    expect(await toast.textContent()).toContain('547 spans and 23 log records');
    await expect.poll(() => app.stats().textContent()).toContain('142 traces');
    const traces = new TracesPage(page);
    // the list asks for new traces at most once a second, so allow for that under load
    await expect.poll(() => traces.resultCount().textContent(), { timeout: 10_000 }).toContain('100+');
  });

  it('uploads a file dropped on the window', async () => {
    hopscope = await startHopscope();
    await hopscope.store.write(buildTestTrace());
    const { page, app } = await open();
    await app.dropFile('test_data.json', await readFile(corpusPath('otel-tui/test_data.json'), 'utf8'));
    const toast = app.importToast().filter({ hasText: 'test_data.json' });
    await toast.and(page.locator('[data-phase="done"]')).waitFor({ timeout: 20_000 });
    expect(await toast.textContent()).toContain('547 spans and 23 log records');
  });

  it('says what is wrong with a file that is not telemetry', async () => {
    hopscope = await startHopscope();
    await hopscope.store.write(buildTestTrace());
    const { app } = await open();
    await app.uploadFile(corpusPath('otlp2parquet/invalid/malformed.json'));
    const toast = app.importToast().filter({ hasText: 'malformed.json' });
    await toast.locator('.toast-error').waitFor({ timeout: 20_000 });
    expect(await toast.locator('.toast-error').textContent()).toContain('malformed.json');
  });
});

describe('desktop app', () => {
  it('opens files with the native dialog and hands dropped files to the bridge instead of uploading them', async () => {
    hopscope = await startHopscope();
    const { context, page } = await newPage(session.browser);
    session.pages.push(page);
    const bridge = { apiBaseUrl: hopscope.ui.origin, apiToken: new URL(hopscope.ui.url).searchParams.get('token') };
    // What preload.ts exposes, recording its calls instead of asking the main process.
    await context.addInitScript(`{
      const calls = (window.bridgeCalls = []);
      window.hopscope = {
        ...${JSON.stringify(bridge)},
        openTraceFiles: async () => void calls.push('openTraceFiles'),
        importFiles: async (files) => void calls.push('importFiles ' + files.map((f) => f.name).join(',')),
        openExternal: async () => undefined,
      };
    }`);
    const app = new AppShell(page);
    await app.login(hopscope.ui.url);
    const calls = () => page.evaluate('window.bridgeCalls');
    const picker = page.waitForEvent('filechooser', { timeout: 1500 }).then(
      () => 'browser file picker',
      () => 'none',
    );

    await new EmptyStatePage(page).openFile();
    await expect.poll(calls).toEqual(['openTraceFiles']);
    expect(await picker).toBe('none');

    await app.dropFile('dropped.json', '{}');
    await expect.poll(calls).toEqual(['openTraceFiles', 'importFiles dropped.json']);
    expect(await app.importToast().count()).toBe(0);
  });
});

describe('findings', () => {
  it.each(THEMES)('shows what serve’s live analysis found in a worker pool that lost its context, opens an occurrence at its span, and draws the stitch (%s)', async (theme) => {
    // A Go worker pool whose goroutines start from context.Background(): each job becomes a new trace.
    const scenario = workerPool({ concurrency: 4, requests: 24, correlated: true, context: 'lost' });
    hopscope = await startServe({ settleMs: 1000, windowMs: 2000 });
    const { page, app } = await open(theme);
    for (const body of scenario.payloads) {
      const response = await fetch(`${hopscope.otlpHttp}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
      expect(response.status).toBe(200);
    }

    // The page is open before analysis runs: the finding arrives over the live event stream.
    await app.tab('Findings');
    const view = new FindingsPage(page);
    const asyncHop = view.items().filter({ hasText: 'async-hop' });
    await expect.poll(() => asyncHop.count(), { timeout: 30_000 }).toBe(1);
    const stored = hopscope.store.reader.findings().find((f) => f.kind === 'async-hop')!;
    const stitches = hopscope.store.reader.stitches().filter((st) => st.confidence >= CLAIM_CONFIDENCE);
    const truth = new Set(scenario.truth.stitches!.map((st) => `${st.from.spanId}>${st.to.spanId}`));
    expect(stitches.length).toBeGreaterThan(5);
    expect(stitches.every((st) => truth.has(`${st.from.spanId}>${st.to.spanId}`))).toBe(true);

    await asyncHop.click();
    const detail = view.detail();
    await expect.poll(() => detail.locator('h2').textContent()).toBe(stored.title.replace(/`/g, ''));
    expect(await detail.textContent()).toContain(`${stored.count} occurrences`);
    for (const key of Object.keys(stored.evidence)) expect(await detail.locator('dt').allTextContents()).toContain(evidenceLabel(key));
    // the producer span in the evidence is a link to it
    const producer = (stored.evidence as { producer: { spanId: string } }).producer;
    expect(await detail.locator('.evidence-span').first().getAttribute('href')).toContain(producer.spanId);
    await screenshot(page, 'findings', theme);

    // An occurrence opens its trace with its span selected and the finding shown on it.
    const at = stored.occurrences[0];
    await detail.locator(`[data-testid="occurrence"][href*="${at.spanId}"]`).click();
    const trace = new TracePage(page);
    await trace.waitLoaded();
    await expect.poll(() => trace.selectedSpanId()).toBe(at.spanId);
    await expect.poll(() => trace.detail.root().locator('.finding-strip').textContent()).toContain(stored.title.replace(/`/g, ''));

    // A stitch opens producer and consumer as one trace, the hop drawn as a connector at the consumer.
    await app.tab('Findings');
    await asyncHop.click();
    const link = view.stitchLinks().first();
    const href = (await link.getAttribute('href'))!;
    const stitch = stitches.find((st) => href.includes(st.to.spanId) && href.includes(st.from.spanId))!;
    expect(stitch).toBeDefined();
    await link.click();
    await trace.waitLoaded();
    await expect.poll(() => trace.row(stitch.to.spanId).getAttribute('class')).toContain('stitched');
    expect(await trace.row(stitch.to.spanId).locator('.wf-connector').count()).toBe(1);
    const total = hopscope.store.reader.getTrace(stitch.from.traceId).length + hopscope.store.reader.getTrace(stitch.to.traceId).length;
    expect((await trace.rowCounts()).total).toBe(total);
    await expect.poll(() => trace.selectedSpanId()).toBe(stitch.to.spanId);
    await screenshot(page, 'trace-stitched', theme);
  });
});

describe('cluster objects', () => {
  const MIN = 60_000;
  const CLUSTER = 'https://127.0.0.1:6443';
  /** A cluster time as the panel shows it: 14:03:27 today, with the date before (the test may run across midnight). */
  const CLOCK = String.raw`(?:[A-Z][a-z]{2} \d{1,2} )?\d\d:\d\d:\d\d`;

  /**
   * A checkout Deployment on one node: pod q9rt was told to terminate just before it served a request and is gone
   * since, pod x2lq restarted three times (OOMKilled) and serves on.
   */
  async function recordCluster(store: Hopscope['store'], now: number): Promise<void> {
    const at = (ms: number) => new Date(ms).toISOString();
    const created = at(now - 120 * MIN);
    const shop = (kind: ClusterKind, name: string, uid: string) => ({ kind, namespace: kind === 'Node' ? '' : 'shop', name, uid });
    const change = (identity: ObjectIdentity, observedMs: number, state: ClusterStateOf[ClusterKind]): ClusterChange => ({ identity, created, resourceVersion: String(observedMs), observedMs, state });
    const node = shop('Node', 'node-a', 'node-a-uid');
    const deployment = shop('Deployment', 'checkout', 'dep-checkout');
    const replicaSet = shop('ReplicaSet', 'checkout-7c9d8', 'rs-checkout-7c9d8');
    const restarted = shop('Pod', 'checkout-7c9d8-x2lq', 'pod-x2lq');
    const leaving = shop('Pod', 'checkout-7c9d8-q9rt', 'pod-q9rt');
    const labels = { app: 'checkout', 'pod-template-hash': '7c9d8' };
    const owner = { kind: 'ReplicaSet', name: replicaSet.name, uid: replicaSet.uid };
    const container = (over: Partial<ContainerState> = {}): ContainerState => ({ name: 'checkout', ready: true, restartCount: 0, state: 'running', startedAt: at(now - 119 * MIN), ...over });
    const pod = (ip: string, over: Partial<PodState>): PodState => ({
      phase: 'Running',
      conditions: { PodScheduled: { status: 'True', since: created }, Initialized: { status: 'True', since: created }, ContainersReady: { status: 'True', since: created }, Ready: { status: 'True', since: created } },
      podIPs: [ip],
      hostIP: '10.0.0.4',
      nodeName: node.name,
      owner,
      labels,
      startTime: created,
      containers: [container()],
      readinessProbes: { checkout: 'httpGet :8080/healthz every 10s' },
      preStopHooks: { checkout: 'exec sleep 5' },
      terminationGracePeriodSeconds: 30,
      ...over,
    });
    const deletion = now - 5 * MIN - 10_000;
    const event = (name: string, involved: ObjectIdentity, reason: string, type: string, message: string, count: number, lastMs: number): ClusterChange =>
      change(shop('Event', name, `ev-${name}`), lastMs, { involved, reason, type, message, count, firstTime: at(lastMs - (count - 1) * 20_000), lastTime: at(lastMs) });
    await store.recordClusterChanges(CLUSTER, [
      change(node, now - 120 * MIN, {
        conditions: { Ready: { status: 'True', since: created, reason: 'KubeletReady' }, MemoryPressure: { status: 'False', since: created, reason: 'KubeletHasSufficientMemory' } },
        addresses: ['10.0.0.4', 'node-a'],
        labels: { 'kubernetes.io/hostname': 'node-a', 'topology.kubernetes.io/zone': 'eu-west-1a' },
      }),
      change(deployment, now - 120 * MIN, { labels: { app: 'checkout' }, selector: { app: 'checkout' }, replicas: 3, readyReplicas: 3 }),
      change(deployment, now - 6 * MIN, { labels: { app: 'checkout' }, selector: { app: 'checkout' }, replicas: 3, readyReplicas: 2 }),
      change(replicaSet, now - 120 * MIN, { owner: { kind: 'Deployment', name: deployment.name, uid: deployment.uid }, labels, selector: labels, replicas: 3, readyReplicas: 2 }),
      change(shop('Service', 'checkout', 'svc-checkout'), now - 120 * MIN, { selector: { app: 'checkout' }, clusterIPs: ['10.96.0.12'], ports: ['http 80→8080/TCP'], labels: {} }),
      change(restarted, now - 120 * MIN, pod('10.1.0.7', {})),
      change(
        restarted,
        now - 10 * MIN,
        pod('10.1.0.7', {
          conditions: { PodScheduled: { status: 'True', since: created }, Ready: { status: 'True', since: at(now - 9 * MIN) } },
          containers: [container({ restartCount: 3, startedAt: at(now - 10 * MIN), lastTerminated: { reason: 'OOMKilled', exitCode: 137, finishedAt: at(now - 10 * MIN - 2_000) }, containerId: '3f2a9c1be4d7' })],
        }),
      ),
      change(leaving, now - 120 * MIN, pod('10.1.0.9', {})),
      change(leaving, deletion, pod('10.1.0.9', { deletionTimestamp: at(deletion), deletionGracePeriodSeconds: 30 })),
      change(shop('EndpointSlice', 'checkout-x8k2', 'es-checkout'), deletion, {
        service: 'checkout',
        ports: ['http 8080/TCP'],
        endpoints: [
          { addresses: ['10.1.0.7'], ready: true, serving: true, terminating: false, pod: { name: restarted.name, uid: restarted.uid }, nodeName: 'node-a' },
          { addresses: ['10.1.0.9'], ready: false, serving: true, terminating: true, pod: { name: leaving.name, uid: leaving.uid }, nodeName: 'node-a' },
        ],
      }),
      event('x2lq.backoff', restarted, 'BackOff', 'Warning', 'Back-off restarting failed container checkout in pod checkout-7c9d8-x2lq', 3, now - 10 * MIN),
      event('x2lq.unhealthy', restarted, 'Unhealthy', 'Warning', 'Readiness probe failed: HTTP probe failed with statuscode: 503', 4, now - 9 * MIN - 30_000),
      event('q9rt.killing', leaving, 'Killing', 'Normal', 'Stopping container checkout', 1, deletion),
      event('rs.delete', replicaSet, 'SuccessfulDelete', 'Normal', 'Deleted pod: checkout-7c9d8-q9rt', 1, deletion),
    ]);
    await store.recordClusterChanges(CLUSTER, [{ identity: leaving, created, resourceVersion: 'gone', observedMs: now - 3 * MIN, deleted: true }]);
  }

  it.each(THEMES)('shows the pod, workload and node behind a finding and a span, and opens each in a panel (%s)', async (theme) => {
    const now = Date.now();
    const podResource = (name: string, uid: string) => resource('checkout', { 'k8s.namespace.name': 'shop', 'k8s.pod.name': name, 'k8s.pod.uid': uid });
    const onLeaving = spanOf({ traceId: hex(0xa1, 32), spanId: hex(1, 16), name: 'POST /api/checkout', resource: podResource('checkout-7c9d8-q9rt', 'pod-q9rt'), kind: SpanKind.SERVER, startNs: BigInt(now - 5 * MIN) * MS, endNs: BigInt(now - 5 * MIN + 40) * MS });
    const onRestarted = spanOf({ traceId: hex(0xa2, 32), spanId: hex(2, 16), name: 'POST /api/checkout', resource: podResource('checkout-7c9d8-x2lq', 'pod-x2lq'), kind: SpanKind.SERVER, startNs: BigInt(now - 4 * MIN) * MS, endNs: BigInt(now - 4 * MIN + 35) * MS });
    const elsewhere = spanOf({ traceId: hex(0xa3, 32), spanId: hex(3, 16), name: 'GET /orders', resource: resourceOf('orders'), kind: SpanKind.SERVER });
    const finding = (over: Partial<Finding> & Pick<Finding, 'kind' | 'subkind' | 'fingerprint' | 'title' | 'occurrences'>): Finding => ({ severity: 'warning', service: 'checkout', operation: 'POST /api/checkout', count: over.occurrences.length, evidence: {}, ...over });
    const findings = [
      finding({ kind: 'rpc-hop', subkind: 'server-root', fingerprint: 'c0ffee12', title: '2 spans of `checkout` started a new trace for a call that came from a traced client', occurrences: [onLeaving, onRestarted].map(({ traceId, spanId }) => ({ traceId, spanId })) }),
      finding({ kind: 'dual-id', subkind: 'request-split', fingerprint: 'd00d0001', service: 'orders', operation: 'GET /orders', title: '1 span of `orders` started a new trace for a request that already had one', occurrences: [{ traceId: elsewhere.traceId, spanId: elsewhere.spanId }] }),
    ];
    hopscope = await startHopscope({ analysis: { findings: () => ({ findings, stitches: [] }) } });
    await hopscope.store.write({ spans: [onLeaving, onRestarted, elsewhere], logs: [] });
    await recordCluster(hopscope.store, now);

    const { page, app, errors } = await open(theme, '#/findings/c0ffee12');
    const view = new FindingsPage(page);
    const objects = view.objects();
    await expect.poll(() => objects.texts(), { timeout: 10_000 }).toEqual([
      expect.stringMatching(/^Pod checkout-7c9d8-q9rt terminating gone 3m ago$/),
      'Pod checkout-7c9d8-x2lq Running · Ready ↻ 3',
      'Deployment checkout 2/3 ready',
      'Node node-a Ready',
    ]);
    const gone = hopscope.store.reader.clusterHistory(CLUSTER).objects.find((o) => o.uid === 'pod-q9rt')!.goneMs!;
    expect(await objects.chip('checkout-7c9d8-q9rt').getAttribute('title')).toBe(
      ['Pod shop/checkout-7c9d8-q9rt', 'terminating', 'owned by Deployment checkout › ReplicaSet checkout-7c9d8', 'linked by k8s.pod.uid', `gone 3m ago (${new Date(gone).toISOString()})`].join('\n'),
    );
    expect(await objects.hint().count()).toBe(0);
    await screenshot(page, 'cluster-chips', theme);

    // The pod as it was when the finding's span ran in it: told to terminate 10 s before, still Ready.
    await objects.openWithKeyboard('checkout-7c9d8-q9rt');
    expect(await objects.chip('checkout-7c9d8-q9rt').getAttribute('aria-expanded')).toBe('true');
    expect(await objects.fact('Phase').textContent()).toBe('Running');
    expect(await objects.fact('Ready').textContent()).toBe('Ready');
    expect(await objects.fact('Node').textContent()).toBe('node-a');
    expect(await objects.fact('Pod IPs').textContent()).toBe('10.1.0.9');
    expect(await objects.fact('Owned by').innerText()).toBe('Deployment checkout › ReplicaSet checkout-7c9d8');
    expect(await objects.panel().locator('.object-strip').textContent()).toMatch(new RegExp(`^Terminating: deletion requested at ${CLOCK}, grace period 30s, killed at the latest by ${CLOCK}$`));
    expect(await objects.conditions()).toEqual(['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => expect.stringMatching(new RegExp(`^${type} True ${CLOCK}$`))));
    expect(await objects.containers().locator('.attr-row', { hasText: 'preStop' }).locator('dd').textContent()).toBe('exec sleep 5');
    expect(await objects.eventReasons()).toEqual(['Killing']);
    expect(await objects.events().first().textContent()).toContain('Stopping container checkout');
    await screenshot(page, 'cluster-object', theme);

    // Its owner chain and node open in the same panel.
    await objects.fact('Owned by').getByRole('button', { name: 'checkout-7c9d8' }).click();
    await objects.shown('ReplicaSet');
    expect(await objects.eventReasons()).toEqual(['SuccessfulDelete']);
    await objects.chip('node-a').click();
    await objects.shown('Node');
    expect(await objects.conditions()).toEqual([expect.stringMatching(new RegExp(`^Ready True ${CLOCK} KubeletReady$`)), expect.stringMatching(new RegExp(`^MemoryPressure False ${CLOCK} KubeletHasSufficientMemory$`))]);

    // The endpoint slice and service a pod serves through open from its panel.
    await objects.chip('checkout-7c9d8-x2lq').click();
    await objects.panel().getByRole('button', { name: /^EndpointSlice checkout-x8k2/ }).click();
    await objects.shown('EndpointSlice');
    const endpoints = objects.panel().locator('tbody tr');
    expect((await endpoints.allInnerTexts()).map((t) => t.split(/\s+/).slice(0, 2).join(' '))).toEqual(['10.1.0.7 checkout-7c9d8-x2lq', '10.1.0.9 checkout-7c9d8-q9rt']);
    expect(await endpoints.nth(1).locator('.endpoint-flag.bad').textContent()).toBe('terminating');
    await objects.chip('checkout-7c9d8-x2lq').click();
    await objects.panel().getByRole('button', { name: /^Service checkout/ }).click();
    await objects.shown('Service');
    expect(await objects.fact('Cluster IPs').textContent()).toBe('10.96.0.12');
    await page.keyboard.press('Escape');
    await expect.poll(() => objects.panel().count()).toBe(0);

    // A finding whose spans ran nowhere the history knows gets one quiet line instead.
    await view.items().filter({ hasText: 'dual-id' }).click();
    await expect.poll(() => view.objects().hint().textContent()).toBe('No Kubernetes object matched the spans of this finding.');
    expect(await view.objects().chips().count()).toBe(0);

    // The span in the restarted pod: its chips in the span detail, the pod's containers and events at the span's time.
    await app.go(`#/trace/${onRestarted.traceId}`);
    const trace = new TracePage(page);
    await trace.waitLoaded();
    const spanObjects = trace.detail.objects();
    await expect.poll(() => spanObjects.texts(), { timeout: 10_000 }).toEqual(['Pod checkout-7c9d8-x2lq Running · Ready ↻ 3', 'Deployment checkout 2/3 ready', 'Node node-a Ready']);
    await spanObjects.chip('checkout-7c9d8-x2lq').click();
    await spanObjects.shown('Pod');
    expect(await spanObjects.fact('Restarts').textContent()).toBe('3');
    const state = spanObjects.containers().first();
    expect(await state.locator('.container-head').innerText()).toMatch(/^checkout\s+ready\s+↻ 3$/);
    expect(await state.locator('.attr-row', { hasText: 'Last terminated' }).locator('dd').textContent()).toMatch(new RegExp(`^OOMKilled · exit 137 · ${CLOCK}$`));
    expect(await state.locator('.attr-row', { hasText: 'Readiness probe' }).locator('dd').textContent()).toBe('httpGet :8080/healthz every 10s');
    expect(await spanObjects.eventReasons()).toEqual(['Unhealthy', 'BackOff']);
    expect(await spanObjects.events().first().textContent()).toContain('×4');
    await screenshot(page, 'cluster-span-object', theme);
    await page.locator('.object-host').evaluate((body) => body.scrollTo(0, body.scrollHeight));
    await screenshot(page, 'cluster-span-events', theme);

    // Escape closes the panel and leaves the span open, with the focus back on its chip.
    await page.keyboard.press('Escape');
    await expect.poll(() => spanObjects.panel().count()).toBe(0);
    expect(await trace.detail.root().count()).toBe(1);
    await spanObjects.chip('checkout').focus();
    await page.keyboard.press('Enter');
    await spanObjects.shown('Deployment');
    expect(await spanObjects.fact('Ready').textContent()).toBe('2');
    expect(await spanObjects.fact('Replicas').textContent()).toBe('3');
    expect(await trace.rowCounts()).toEqual({ visible: 1, total: 1 });
    expect(errors).toEqual([]);
  });
});

describe('a 100,000-span trace', () => {
  it('opens with a bounded number of rows rendered and stays navigable', { timeout: 180_000 }, async () => {
    hopscope = await startHopscope();
    const n = 100_000;
    const fanout = 6;
    const wide = wideTrace({ spans: n, fanout, startNs: BigInt(Date.now()) * MS - 60_000n * MS });
    const traceId = wide.traceId;
    for (const batch of wide.batches) await hopscope.store.write({ spans: batch, logs: [] });
    await hopscope.store.flush();

    const { page, app } = await open('dark');
    await app.go(`#/trace/${traceId}`);
    const trace = new TracePage(page);
    await trace.waitLoaded();
    expect(await trace.rowCounts()).toEqual({ visible: n, total: n });
    const rendered = await trace.renderedRowCount();
    expect(rendered).toBeGreaterThan(10);
    expect(rendered).toBeLessThan(100);
    await screenshot(page, 'trace-100k', 'dark');

    // The last row in tree order is the end of the rightmost path.
    await trace.press('End');
    await expect.poll(() => trace.selectedSpanId()).toBe(hex(wide.lastInTreeOrder + 1, 16));
    expect(await trace.renderedRowCount()).toBeLessThan(100);
    await trace.press('Home', 'ArrowLeft');
    expect(await trace.rowCounts()).toEqual({ visible: 1, total: n });
    await trace.press('ArrowRight', 'j', 'ArrowLeft');
    const hidden = Number(((await page.locator('[role="treeitem"][aria-selected="true"] .wf-count').textContent()) ?? '').replace(/[+,]/g, ''));
    expect(hidden).toBeGreaterThan(1000);
    expect(await trace.rowCounts()).toEqual({ visible: n - hidden, total: n });
  });
});

describe('outsiders', () => {
  let foreign: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (foreign ? foreign.close(() => resolve()) : resolve()));
    foreign = undefined;
  });

  it('refuses a page without the token, and a page from another origin even when the browser holds the cookie', async () => {
    hopscope = await startHopscope();
    const { page } = await newPage(session.browser);
    session.pages.push(page);
    const res = await page.goto(`${hopscope.ui.origin}/`);
    expect(res?.status()).toBe(401);
    expect(await page.textContent('body')).toContain('hopscope serve');
    const api = await page.goto(`${hopscope.ui.origin}/api/stats`);
    expect(api?.status()).toBe(401);

    // Log in, so this browser holds the token cookie; ports do not separate sites, so it would be sent.
    await new AppShell(page).login(hopscope.ui.url);
    foreign = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>elsewhere</title>'));
    await new Promise<void>((resolve) => foreign!.listen(0, '127.0.0.1', resolve));
    const port = (foreign.address() as { port: number }).port;
    await page.goto(`http://127.0.0.1:${port}/`);
    const outcome = await page.evaluate(async (origin) => {
      try {
        const r = await fetch(`${origin}/api/stats`, { credentials: 'include' });
        return `read ${r.status}`;
      } catch (err) {
        return `blocked: ${(err as Error).message}`;
      }
    }, hopscope.ui.origin);
    expect(outcome).toMatch(/^blocked/);
    // CORS alone would only hide the answer; a forged POST must have no effect at all.
    await page.evaluate(async (origin) => {
      await fetch(`${origin}/api/test-trace`, { method: 'POST', mode: 'no-cors', credentials: 'include' });
    }, hopscope.ui.origin);
    await hopscope.store.flush();
    expect(hopscope.store.reader.stats().spans).toBe(0);
    // The same POST from the UI's own page works, so the check above is not vacuous.
    await page.goto(`${hopscope.ui.origin}/`);
    await page.evaluate(() => fetch('/api/test-trace', { method: 'POST' }));
    await hopscope.store.flush();
    expect(hopscope.store.reader.stats().spans).toBe(15);
  });
});
