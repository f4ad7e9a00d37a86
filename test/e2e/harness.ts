// What every end-to-end test stands on: a real store in its own data directory, the real API
// server serving the built renderer, and a real Chromium.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, vi } from 'vitest';
import { startApiServer, type AnalysisSource, type RunningApiServer } from '../../collector/api/server';
import { startCollector } from '../../collector/collector';
import { importFile } from '../../collector/importers';
import type { LiveClusterOptions } from '../../collector/live-cluster';
import { IngestCounters } from '../../collector/receivers/ingest';
import { startHttpReceiver, type RunningReceiver } from '../../collector/receivers/http';
import { openStore } from '../../collector/store';
import { attributes, span, spanId, traceId } from '../../collector/store/testing';
import type { Store } from '../../collector/store/types';
import { repoRoot } from '../corpus';

export const rendererDir = path.join(repoRoot, 'dist', 'renderer');
export const screenshotDir = path.join(repoRoot, 'test-results', 'screenshots');
const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/** Playwright's own Chromium when installed, else Debian's; a clear error when there is neither. */
export function chromiumExecutable(): { path: string; args: string[] } {
  const own = chromium.executablePath();
  if (own && existsSync(own)) return { path: own, args: [] };
  if (existsSync(DEBIAN_CHROMIUM)) {
    return { path: DEBIAN_CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'] };
  }
  throw new Error(`No Chromium for the end-to-end tests: neither Playwright's (${own}) nor ${DEBIAN_CHROMIUM} exists. Install one with \`apt-get install -y chromium\`.`);
}

export async function launchBrowser(): Promise<Browser> {
  const exe = chromiumExecutable();
  return chromium.launch({ executablePath: exe.path, args: exe.args, headless: true });
}

/** One browser for a test file; after each test its pages are closed, then `afterEachTest` runs (stop its Hopscope). */
// A browser test on a loaded 2-core machine can take several times what it takes alone; a step that waits
// for something that never comes fails on the page's own timeout first, naming the locator it waited for.
const PAGE_STEP_TIMEOUT_MS = 20_000;
// (The benchmarks use this harness outside Vitest.)
if (process.env.VITEST) vi.setConfig({ testTimeout: 90_000 });

export function browserSession(afterEachTest: () => Promise<void>): { readonly browser: Browser; pages: Page[] } {
  const session = { browser: undefined as unknown as Browser, pages: [] as Page[] };
  beforeAll(async () => {
    session.browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await session.browser?.close();
  });
  afterEach(async () => {
    for (const p of session.pages.splice(0)) await p.context().close();
    await afterEachTest();
  });
  return session;
}

export interface Hopscope {
  store: Store;
  ui: RunningApiServer;
  /** OTLP/HTTP receiver base URL, when started with `receivers: true`. */
  otlpHttp?: string;
  dataDir: string;
  close(): Promise<void>;
}

/** A fresh Hopscope with its own data directory: the store, the API and (with `receivers`) the OTLP/HTTP receiver. */
export async function startHopscope(options: { analysis?: AnalysisSource; receivers?: boolean } = {}): Promise<Hopscope> {
  const dataDir = newDataDir();
  const store = openStore({ path: path.join(dataDir, 'hopscope.db') });
  let receiver: RunningReceiver | undefined;
  if (options.receivers) {
    receiver = await startHttpReceiver({ host: '127.0.0.1', port: 0, sink: { write: (rows) => store.writeEncoded(rows), overloaded: () => store.overloaded() }, counters: new IngestCounters() });
  }
  const ui = await startApiServer({
    host: '127.0.0.1',
    port: 0,
    token: `e2e-${Math.random().toString(36).slice(2)}`,
    store,
    ingest: (batch) => store.write(batch),
    importFile: (file, onProgress) => importFile(file, (batch) => store.write(batch), { onProgress }),
    analysis: options.analysis,
    rendererDir,
    receivers: receiver ? { otlpHttp: receiver.address } : undefined,
  });
  return {
    store,
    ui,
    otlpHttp: receiver?.address,
    dataDir,
    async close() {
      await ui.close();
      await receiver?.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Everything `hopscope serve` runs (receivers, writer thread, live analysis, API), through startCollector:
 * what the UI shows comes from the real pipeline. Short settle and window times so analysis results come
 * within seconds. `cluster` gives the kubeconfig (or the environment to find it in) the Cluster view connects with.
 */
export async function startServe(options: {
  settleMs: number;
  windowMs: number;
  cluster?: Omit<LiveClusterOptions, 'settingsDir'>;
  retention?: { maxBytes?: number; maxAgeMs?: number };
  /** Fills the database file before serve opens it. */
  prepare?: (dbPath: string) => Promise<void>;
}): Promise<Hopscope> {
  const dataDir = newDataDir();
  await options.prepare?.(path.join(dataDir, 'hopscope.db'));
  const collector = await startCollector({
    dbPath: path.join(dataDir, 'hopscope.db'),
    host: '127.0.0.1',
    grpcPort: 0,
    httpPort: 0,
    settleMs: options.settleMs,
    windowMs: options.windowMs,
    retention: options.retention,
    ui: { port: 0, rendererDir },
    // The cluster choice is remembered in the test's own data directory, never the user's.
    cluster: options.cluster && { ...options.cluster, settingsDir: dataDir },
  });
  return {
    store: collector.store,
    ui: collector.ui!,
    otlpHttp: collector.http.address,
    dataDir,
    async close() {
      await collector.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function newDataDir(): string {
  if (!existsSync(path.join(rendererDir, 'index.html'))) {
    throw new Error(`The renderer is not built (${rendererDir}/index.html is missing); run \`npm run build:renderer\` first.`);
  }
  return mkdtempSync(path.join(os.tmpdir(), 'hopscope-e2e-'));
}

export type Theme = 'light' | 'dark';

/** A page at 1280×800 in the given colour scheme; the UI follows the system theme by default. */
export async function newPage(browser: Browser, theme: Theme = 'light'): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: theme, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(PAGE_STEP_TIMEOUT_MS);
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  return { context, page, errors };
}

export async function screenshot(page: Page, name: string, theme: Theme): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `${name}-${theme}.png`) });
}

/** Fills the database file with `traces` traces of three spans, each span with 1 kB of attributes (about 3 kB a trace). */
export async function storePaddedTraces(dbPath: string, traces: number): Promise<void> {
  const store = openStore({ path: dbPath, maxBytes: 2 ** 40 });
  const payload = attributes({ payload: 'x'.repeat(1000) });
  for (let n = 1; n <= traces; n += 100) {
    await store.write({ spans: Array.from({ length: 300 }, (_, i) => span({ traceId: traceId(n + Math.floor(i / 3)), spanId: spanId(n * 10 + i), attributes: payload })), logs: [] });
  }
  await store.close();
}
