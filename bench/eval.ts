// `npm run eval`: the cross-trace analysis against generated scenarios with ground truth, at full size.
// Prints, per scenario, stitch precision and recall (a stitch with confidence ≥ 0.5 is a claim) and
// detection precision/recall per finding kind, checks the targets, and measures what the live window
// costs. Exits 1 when a target is missed.
import { LiveCrossTrace } from '../collector/analysis/live';
import { messageQueue, workerPool } from '../fixtures/async-hops';
import { readyButFailing, restarts, rollingUpdate, stalePeers } from '../fixtures/cluster-scenarios';
import { requestIds } from '../fixtures/dual-ids';
import { lostLogContext } from '../fixtures/log-context';
import { rpcHops } from '../fixtures/rpc-hops';
import { sampling } from '../fixtures/sampling';
import type { Scenario } from '../fixtures/scenarios';
import { cleanSystem } from '../fixtures/scenarios';
import type { Counts, ScenarioScore } from '../fixtures/score';
import { analyzeScenario, decodeScenario, precision, recall, scoreScenario } from '../fixtures/score';
import { decodeTracesProto } from '../collector/otlp';

const REQUESTS = 2000;
const LEVELS = [1, 8, 32, 64];

interface Target {
  /** What is required, as a person reads it. */
  label: string;
  check: (score: ScenarioScore) => boolean;
}

const stitchesAtLeast = (p: number, r: number): Target => ({
  label: `stitch P ≥ ${p}, R ≥ ${r}`,
  check: (s) => precision(s.stitches) >= p && recall(s.stitches) >= r,
});
const silent: Target = {
  label: 'no warning, no stitch claimed',
  check: (s) => s.stitches.claimed === 0 && [...s.findings.values()].every((c) => c.claimed === 0),
};
const exact: Target = {
  label: 'every finding kind P = R = 1, nothing unexpected',
  check: (s) => s.unexpected.length === 0 && [...s.findings.values()].every((c) => c.correct === c.claimed && c.correct === c.truth),
};

/** Each kind/subkind the truth holds found with P and R at least these, and nothing at warning or above it does not hold. */
const detectedAtLeast = (p: number, r: number): Target => ({
  label: `each true kind/subkind P ≥ ${p}, R ≥ ${r}, nothing unexpected`,
  check: (s) => s.unexpected.length === 0 && [...s.findings.values()].every((c) => c.truth === 0 || (precision(c) >= p && recall(c) >= r)),
});

/** The detectors only the cluster's history can prove: scored summed over the cluster scenarios, per detector. */
const CLUSTER_DETECTORS = ['served-while-terminating', 'restart-during-trace', 'ready-but-failing', 'stale-peer-address'];
const CLUSTER_TARGET = { precision: 0.95, recall: 0.95 };

interface Case {
  make: () => Scenario;
  target?: Target;
  note?: string;
}

const cases: Case[] = [
  ...LEVELS.map((concurrency) => ({
    make: () => workerPool({ concurrency, requests: REQUESTS, correlated: true, context: 'lost' }),
    target: stitchesAtLeast(0.99, 0.99),
  })),
  ...LEVELS.map((concurrency) => ({
    make: () => workerPool({ concurrency, requests: REQUESTS, correlated: false, context: 'lost' }),
    target: concurrency <= 32 ? stitchesAtLeast(0.95, 0.9) : undefined,
  })),
  { make: () => workerPool({ concurrency: 32, requests: REQUESTS, correlated: true, context: 'child' }), target: silent },
  { make: () => workerPool({ concurrency: 32, requests: REQUESTS, correlated: true, context: 'link' }), target: silent },
  ...LEVELS.map((concurrency) => ({
    make: () => messageQueue({ concurrency, requests: REQUESTS, correlated: true, context: 'lost' }),
    target: stitchesAtLeast(0.99, 0.99),
  })),
  ...LEVELS.map((concurrency) => ({
    make: () => messageQueue({ concurrency, requests: REQUESTS, correlated: false, context: 'lost' }),
    note: 'competing consumers on three hosts: reported, no target',
  })),
  { make: () => messageQueue({ concurrency: 32, requests: REQUESTS, correlated: true, context: 'link' }), target: silent },
  { make: () => messageQueue({ concurrency: 32, requests: REQUESTS, correlated: true, context: 'child' }), target: silent },
  ...LEVELS.map((concurrency) => ({
    make: () => rpcHops({ concurrency, requests: REQUESTS, correlated: true, context: 'lost' }),
    target: stitchesAtLeast(0.99, 0.99),
  })),
  ...LEVELS.map((concurrency) => ({
    make: () => rpcHops({ concurrency, requests: REQUESTS, correlated: false, context: 'lost' }),
    target: concurrency <= 32 ? stitchesAtLeast(0.95, 0.9) : undefined,
  })),
  { make: () => rpcHops({ concurrency: 32, requests: REQUESTS, correlated: false, context: 'child' }), target: silent },
  { make: () => requestIds('split', 400), target: exact },
  { make: () => requestIds('merge', 400), target: exact },
  { make: () => requestIds('clean', 400), target: silent },
  { make: () => sampling('spec-clean', REQUESTS), target: silent },
  { make: () => sampling('go-disagreement', REQUESTS), target: exact },
  { make: () => sampling('declared-mismatch', REQUESTS), target: exact },
  { make: () => sampling('dual-id-inflation', REQUESTS), target: exact },
  ...[1, 8, 32].map((concurrency) => ({ make: () => lostLogContext({ concurrency, requests: REQUESTS, lost: true }) })),
  { make: () => lostLogContext({ concurrency: 32, requests: REQUESTS, lost: false }), target: silent },
  { make: () => cleanSystem(), target: silent },
  // the cluster detectors: each defect and its clean twin, at full size
  { make: () => rollingUpdate({ replicas: 6, requestsPerSecond: 60 }), target: detectedAtLeast(0.95, 0.95) },
  { make: () => rollingUpdate({ replicas: 6, requestsPerSecond: 60, clean: true }), target: silent },
  { make: () => restarts({ replicas: 4, kills: 12, requestsPerSecond: 120 }), target: detectedAtLeast(0.95, 0.95) },
  { make: () => restarts({ replicas: 4, kills: 12, requestsPerSecond: 120, between: true }), target: silent },
  { make: () => readyButFailing({ replicas: 6, durationMs: 60_000, requestsPerSecond: 60 }), target: detectedAtLeast(0.95, 0.95) },
  { make: () => readyButFailing({ replicas: 6, durationMs: 60_000, requestsPerSecond: 60, wholeWorkload: true }), target: silent },
  { make: () => stalePeers({ requestsPerSecond: 60 }), target: detectedAtLeast(0.95, 0.95) },
  { make: () => stalePeers({ requestsPerSecond: 60, clean: true }), target: silent },
];

function percent(x: number): string {
  return Number.isNaN(x) ? '–' : x.toFixed(3);
}

function counts(c: Counts): string {
  return `${percent(precision(c))} / ${percent(recall(c))}`;
}

const rows: string[] = [
  '| scenario | spans | logs | stitches claimed / true | stitch P / R | findings P / R (by kind) | lost logs P / R, likely span | target | ms |',
  '|---|---|---|---|---|---|---|---|---|',
];
let missed = 0;
const byDetector = new Map<string, Counts>(CLUSTER_DETECTORS.map((d) => [d, { claimed: 0, truth: 0, correct: 0 }]));
for (const c of cases) {
  const scenario = c.make();
  const decoded = decodeScenario(scenario);
  const spans = decoded.traces.reduce((n, t) => n + t.length, 0);
  const started = performance.now();
  const result = analyzeScenario(scenario, decoded);
  const ms = performance.now() - started;
  const score = scoreScenario(scenario, result, decoded);
  for (const [name, k] of score.findings) {
    const total = byDetector.get(name.split('/')[0]);
    if (!total) continue;
    total.claimed += k.claimed;
    total.truth += k.truth;
    total.correct += k.correct;
  }
  const kinds = [...score.findings]
    .filter(([name]) => name !== 'log-context-lost/no-trace-context' || !score.lostLogs)
    .map(([name, k]) => `${name} ${counts(k)}`)
    .join('; ');
  const logs = score.lostLogs ? `${counts(score.lostLogs)}, ${percent(score.lostLogs.likelySpanRight / score.lostLogs.correct)}` : '';
  let verdict = c.note ?? '';
  if (c.target) {
    const ok = c.target.check(score);
    if (!ok) missed++;
    verdict = `${ok ? 'met' : 'MISSED'}: ${c.target.label}`;
  }
  const stitched = score.stitches.truth > 0 || score.stitches.claimed > 0 ? `${score.stitches.claimed} / ${score.stitches.truth}` : '0 / 0';
  rows.push(
    `| ${scenario.name} | ${spans} | ${decoded.logs.length} | ${stitched} | ${score.stitches.truth > 0 ? counts(score.stitches) : '–'} | ${kinds || 'none'}${score.unexpected.length ? ` (unexpected: ${score.unexpected.join(', ')})` : ''} | ${logs} | ${verdict} | ${Math.round(ms)} |`,
  );
  console.log(rows[rows.length - 1]);
}

console.log('\n' + rows.join('\n'));

// Per cluster detector, over every scenario (the clean twins' false claims count against precision).
const detectorRows = ['| detector | claimed | true | correct | P | R | target |', '|---|---|---|---|---|---|---|'];
for (const [detector, k] of byDetector) {
  const ok = precision(k) >= CLUSTER_TARGET.precision && recall(k) >= CLUSTER_TARGET.recall;
  if (!ok) missed++;
  detectorRows.push(`| ${detector} | ${k.claimed} | ${k.truth} | ${k.correct} | ${percent(precision(k))} | ${percent(recall(k))} | ${ok ? 'met' : 'MISSED'}: P ≥ ${CLUSTER_TARGET.precision}, R ≥ ${CLUSTER_TARGET.recall} |`);
}
console.log('\n' + detectorRows.join('\n'));
console.log(`\n${missed === 0 ? 'All targets met.' : `${missed} target(s) missed.`}`);

// What the live window costs: a minute of a worker pool's spans fed in batches as they are committed, and
// ten-second windows evaluated once data 5 s past their end has arrived, with five minutes of lookback.
{
  const scenario = workerPool({ concurrency: 2, requests: REQUESTS * 4, correlated: false, context: 'lost' });
  const { traces } = decodeScenario(scenario);
  const spans = traces.flat().sort((a, b) => (a.endNs < b.endNs ? -1 : 1));
  const cpu = () => {
    const t = process.cpuUsage();
    return (t.user + t.system) / 1000;
  };
  const decodeStart = cpu();
  for (const payload of scenario.payloads) decodeTracesProto(payload);
  const decodeMs = cpu() - decodeStart;
  const live = new LiveCrossTrace();
  const batch = 500;
  const step = 10_000_000_000n;
  const settle = 5_000_000_000n;
  let from = spans[0].startNs - (spans[0].startNs % step);
  let addMs = 0;
  let evaluateMs = 0;
  let windows = 0;
  let stitches = 0;
  for (let i = 0; i < spans.length; i += batch) {
    const slice = spans.slice(i, i + batch);
    let t = cpu();
    live.add({ spans: slice, logs: [] });
    addMs += cpu() - t;
    const now = slice[slice.length - 1].endNs;
    while (now >= from + step + settle || (i + batch >= spans.length && from <= now)) {
      t = cpu();
      stitches += live.evaluate({ fromNs: from, toNs: from + step }).stitches.length;
      evaluateMs += cpu() - t;
      windows++;
      from += step;
    }
  }
  const perSpan = (ms: number) => ((ms * 1e6) / spans.length).toFixed(0);
  console.log(
    `\nlive (${spans.length} spans, CPU time): decoding them ${perSpan(decodeMs)} ns/span; LiveCrossTrace.add ${perSpan(addMs)} ns/span; ` +
      `evaluate ${perSpan(evaluateMs)} ns/span over ${windows} windows (${(evaluateMs / windows).toFixed(0)} ms each, ${stitches} stitches)`,
  );
}

process.exitCode = missed === 0 ? 0 : 1;
