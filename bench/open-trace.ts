// Opening a 100,000-span trace in the UI: the real API server and built renderer in Chromium (as the
// end-to-end tests run them). Timed from the navigation to the waterfall on screen, after a fresh page
// load each run, each run a trace not opened before; then the same API request again from the page, warm,
// for the share of the browser's own work.
// Run alone with `npx tsx bench/open-trace.ts` (after `npm run build:renderer`).
import { pathToFileURL } from 'node:url';
import { launchBrowser, newPage, startHopscope } from '../test/e2e/harness';
import { AppShell } from '../test/e2e/pages/app';
import { TracePage } from '../test/e2e/pages/trace';
import { wideTrace } from '../fixtures/wide-trace';
import { median } from './stats';

const SPANS = 100_000;
const RUNS = 5;

export interface OpenTraceBenchResult {
  spans: number;
  /** Navigation to waterfall shown, median over the runs. */
  medianMs: number;
  /** GET /api/traces/:id again from inside the page right after, median: the server's part when warm. */
  apiMedianMs: number;
  responseBytes: number;
}

export async function benchOpenTrace(): Promise<OpenTraceBenchResult> {
  const hopscope = await startHopscope();
  const browser = await launchBrowser();
  try {
    // A trace of its own for each run: a user opens a trace once, so no run may profit from an earlier one's reads.
    const traces = [];
    for (let run = 0; run < RUNS; run++) {
      const wide = wideTrace({ spans: SPANS, fanout: 6 + run, startNs: BigInt(Date.now()) * 1_000_000n - BigInt(run + 1) * 60_000_000_000n });
      for (const batch of wide.batches) await hopscope.store.write({ spans: batch, logs: [] });
      traces.push(wide.traceId);
    }
    await hopscope.store.flush();
    const { page, context } = await newPage(browser, 'dark');
    const app = new AppShell(page);
    const trace = new TracePage(page);
    const opens: number[] = [];
    const api: number[] = [];
    let responseBytes = 0;
    for (let run = 0; run < RUNS; run++) {
      await app.login(hopscope.ui.url);
      const started = performance.now();
      await app.go(`#/trace/${traces[run]}`);
      await trace.waitLoaded();
      await trace.spanRows().first().waitFor();
      opens.push(performance.now() - started);
      const fetched = (await page.evaluate(`(async () => {
        const t = performance.now();
        const text = await (await fetch('/api/traces/${traces[run]}')).text();
        return { ms: performance.now() - t, bytes: text.length };
      })()`)) as { ms: number; bytes: number };
      api.push(fetched.ms);
      responseBytes = fetched.bytes;
      console.log(`run ${run + 1}: waterfall shown ${opens.at(-1)!.toFixed(0)} ms after navigation; the same API request again ${fetched.ms.toFixed(0)} ms (${(fetched.bytes / 1e6).toFixed(1)} MB)`);
    }
    await context.close();
    const result = { spans: SPANS, medianMs: median(opens), apiMedianMs: median(api), responseBytes };
    console.log(`median: ${result.medianMs.toFixed(0)} ms to the waterfall; the API request again, warm: ${result.apiMedianMs.toFixed(0)} ms`);
    return result;
  } finally {
    await browser.close();
    await hopscope.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(`Opening a ${SPANS / 1000}k-span trace in Chromium, ${RUNS} runs`);
  await benchOpenTrace();
}
