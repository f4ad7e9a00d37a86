// `npm run bench`: decode, store, end-to-end ingest and trace assembly, then one table against the targets.
import os from 'node:os';
import { benchAssemble } from './assemble';
import { benchDecode } from './decode';
import { benchIngest } from './ingest';
import { benchStore } from './store';
import { benchImport } from './import';
import { benchOpenTrace } from './open-trace';
import { benchCluster } from './cluster';
import { benchSearch } from './search';
import { benchAnalysis } from './analysis';

const DECODER_TARGET = 2;
const INGEST_TARGET = 0.6;
const RSS_TARGET_MB = 300;
const ASSEMBLY_TARGET_MS = 1000;
const OPEN_TRACE_TARGET_MS = 2000;
const SEARCH_TARGET_MS = 50;
const SEARCH_GROWTH_TARGET = 1.5;
const DRAIN_TARGET_S = 120;
const ANALYSIS_RSS_TARGET_MB = 400;
const PER_TRACE_TARGET = 5000;

interface Row {
  measure: string;
  value: string;
  target: string;
  /** undefined when the bench has no number to judge. */
  pass: boolean | undefined;
}

const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');
const perSecond = (rate: number) => `${Math.round(rate / 1000)}k spans/s`;

const started = performance.now();
console.log(`Benchmarks on ${os.cpus().length} cores, load average ${load()} at start; the machine is shared, so numbers move with other load.\n`);
const decode = benchDecode();
console.log();
await benchStore();
console.log();
const ingest = await benchIngest();
console.log();
const assembly = benchAssemble();
console.log();
const imported = await benchImport();
console.log();
const opened = await benchOpenTrace();
console.log();
const cluster = await benchCluster();
console.log();
const search = await benchSearch();
console.log();
const analysis = await benchAnalysis();
console.log();

const decoderRatio = decode.ours / decode.protobufjs;
const rows: Row[] = [
  {
    measure: 'decoder / protobufjs (decode + map to model)',
    value: `${decoderRatio.toFixed(2)}× (${perSecond(decode.ours)} vs ${perSecond(decode.protobufjs)})`,
    target: `≥ ${DECODER_TARGET}×`,
    pass: decoderRatio >= DECODER_TARGET,
  },
  {
    measure: 'OTLP/HTTP ingest / raw INSERT of the same spans',
    value: `${(100 * ingest.ratio).toFixed(0)}% (${perSecond(ingest.ingest.spansPerSec)} vs ${perSecond(ingest.rawInsert.spansPerSec)}; per CPU-s ${(100 * ingest.cpuRatio).toFixed(0)}%)`,
    target: `≥ ${INGEST_TARGET * 100}%`,
    pass: ingest.ratio >= INGEST_TARGET,
  },
  {
    measure: 'ingest with live analysis / without',
    value: `${(100 * ingest.analysisRatio).toFixed(0)}% (${perSecond(ingest.ingest.spansPerSec)} vs ${perSecond(ingest.withoutAnalysis.spansPerSec)})`,
    target: '≥ 90%',
    pass: ingest.analysisRatio >= 0.9,
  },
  {
    measure: 'peak RSS of serve under that load (VmHWM)',
    value: ingest.peakRssBytes === undefined ? 'n/a (no /proc)' : `${(ingest.peakRssBytes / 1e6).toFixed(0)} MB`,
    target: `≤ ${RSS_TARGET_MB} MB`,
    pass: ingest.peakRssBytes === undefined ? undefined : ingest.peakRssBytes <= RSS_TARGET_MB * 1e6,
  },
  {
    measure: `assembleTrace of a ${assembly.spans / 1000}k-span trace`,
    value: `${assembly.medianMs.toFixed(0)} ms (cpu ${assembly.medianCpuMs.toFixed(0)} ms)`,
    target: `< ${ASSEMBLY_TARGET_MS} ms`,
    pass: assembly.medianMs < ASSEMBLY_TARGET_MS,
  },
  {
    measure: 'import of a 200 MiB OTLP JSON-lines file',
    value: `${perSecond(imported.spansPerSecond)}, ${imported.mibPerSecond.toFixed(1)} MiB/s, peak RSS ${(imported.peakRssBytes / 1e6).toFixed(0)} MB`,
    target: '≤ 400 MB RSS',
    pass: imported.peakRssBytes <= 400e6,
  },
  {
    measure: `open a ${opened.spans / 1000}k-span trace in Chromium (navigation → waterfall)`,
    value: `${opened.medianMs.toFixed(0)} ms (API request warm: ${opened.apiMedianMs.toFixed(0)} ms, ${(opened.responseBytes / 1e6).toFixed(1)} MB)`,
    target: `< ${OPEN_TRACE_TARGET_MS} ms`,
    pass: opened.medianMs < OPEN_TRACE_TARGET_MS,
  },
  {
    measure: `serve --cluster watching ${cluster?.pods ?? 5000} pods: RSS vs watching nothing`,
    value: cluster
      ? `${(cluster.rssWatching / 1e6).toFixed(0)} vs ${(cluster.rssIdle / 1e6).toFixed(0)} MB (synced in ${(cluster.syncMs / 1000).toFixed(1)} s; a span linked in ${cluster.aroundMs.toFixed(1)} ms)`
      : 'n/a (no /proc)',
    target: 'measured',
    pass: undefined,
  },
  {
    measure: `serve on ${analysis.spans / 1e6}M spans waiting for analysis: backlog drained in`,
    value: `${analysis.serve.drainSeconds.toFixed(0)} s (${analysis.traces} traces, ${Math.round(analysis.traces / analysis.serve.drainSeconds)}/s)`,
    target: `< ${DRAIN_TARGET_S} s`,
    pass: analysis.serve.drainSeconds < DRAIN_TARGET_S,
  },
  {
    measure: 'peak RSS of serve while it drains (after 300k traces)',
    value: `${(analysis.serve.peakRssBytes / 1e6).toFixed(0)} MB (${analysis.serve.rssAtBytes ? (analysis.serve.rssAtBytes / 1e6).toFixed(0) : 'n/a'} MB)`,
    target: `≤ ${ANALYSIS_RSS_TARGET_MB} MB`,
    pass: analysis.serve.peakRssBytes <= ANALYSIS_RSS_TARGET_MB * 1e6,
  },
  {
    measure: 'analysis engine: per-trace detectors; cross-trace windows',
    value: `${Math.round(analysis.perTraceTracesPerSec)} traces/s; ${Math.round(analysis.windowSpansPerSec / 1000)}k spans/s`,
    target: `≥ ${PER_TRACE_TARGET} traces/s`,
    pass: analysis.perTraceTracesPerSec >= PER_TRACE_TARGET,
  },
  ...(() => {
    const big = `${search.sizes.at(-1)! / 1e6}M`;
    const at = (name: RegExp) => search.searches.find((x) => name.test(x.name))!.medianMs.at(-1)!;
    const growth = search.searches.map((x) => ({ name: x.name, ratio: x.medianMs.at(-1)! / x.medianMs[0] })).sort((a, b) => b.ratio - a.ratio)[0];
    const size = search.storage.at(-1)!;
    return [
      { measure: `search at ${big} spans: a request id (HTTP API, first page)`, value: `${at(/app.request_id = one value/).toFixed(1)} ms`, target: `≤ ${SEARCH_TARGET_MS} ms`, pass: at(/app.request_id = one value/) <= SEARCH_TARGET_MS },
      { measure: `search at ${big} spans: logs with a rare order id`, value: `${at(/rare order id/).toFixed(1)} ms`, target: `≤ ${SEARCH_TARGET_MS} ms`, pass: at(/rare order id/) <= SEARCH_TARGET_MS },
      { measure: `search growth ${search.sizes[0] / 1e6}M → ${big} (largest)`, value: `${growth.ratio.toFixed(2)}× (${growth.name})`, target: `≤ ${SEARCH_GROWTH_TARGET}×`, pass: growth.ratio <= SEARCH_GROWTH_TARGET },
      { measure: `store size at ${big} spans (search indexes' share)`, value: `${size.bytesPerSpan.toFixed(0)} B/span (${(100 * size.indexShare).toFixed(1)} %)`, target: 'indexes ≤ 20 % (size within 25 %)', pass: size.indexShare <= 0.2 },
    ];
  })(),
];

const widths = (['measure', 'value', 'target'] as const).map((key) => Math.max(key.length, ...rows.map((r) => r[key].length)));
const line = (cells: string[]) => cells.map((c, i) => (i < widths.length ? c.padEnd(widths[i]) : c)).join('  ');
console.log(`Summary: medians of each bench's runs; load average ${load()} at the end, ${((performance.now() - started) / 1000).toFixed(0)} s in all.`);
console.log(line(['measure', 'value', 'target', 'result']));
for (const r of rows) console.log(line([r.measure, r.value, r.target, r.pass === undefined ? 'not judged' : r.pass ? 'pass' : 'FAIL']));
