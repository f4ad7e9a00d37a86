// The cluster detectors end to end, scored against the ground truth of the cluster scenarios (fixtures/
// cluster-scenarios.ts): (a) `hopscope analyze FILE --db DB --cluster` with the cluster unreachable, judging
// the scenarios' OTLP against the history recorded in the database; (b) `hopscope serve --cluster` watching the
// test API server while each scenario's timeline plays in real time and its services send their OTLP as they
// would, the findings read from `/api/findings`. Each defect is found (P, R ≥ 0.95); its clean twin is silent.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../common/findings';
import type { WireClusterStatus, WireFindings } from '../common/wire';
import { kindOf, clusterChanges, type TimelineEntry } from '../fixtures/cluster-objects';
import type { ClusterScenario } from '../fixtures/cluster-scenarios';
import { readyButFailing, restarts, rollingUpdate, stalePeers } from '../fixtures/cluster-scenarios';
import type { Send } from '../fixtures/cluster-world';
import { precision, recall, scoreScenario } from '../fixtures/score';
import { openStore } from '../collector/store';
import { repoRoot } from './corpus';
import { FakeApiServer } from './kube/api-server';

const bin = path.join(repoRoot, 'bin', 'hopscope.mjs');
const TARGET = 0.95;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hopscope-cluster-detectors-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The scenario pairs at sizes that play in well under half a minute: [defect, clean twin]. */
function pairs(startMs?: number): [ClusterScenario, ClusterScenario][] {
  return [
    [rollingUpdate({ startMs, replicas: 2, stepMs: 5000, requestsPerSecond: 20 }), rollingUpdate({ startMs, replicas: 2, stepMs: 5000, requestsPerSecond: 20, clean: true })],
    [restarts({ startMs, kills: 4, killEveryMs: 4000, requestsPerSecond: 60 }), restarts({ startMs, kills: 4, killEveryMs: 4000, requestsPerSecond: 60, between: true })],
    [readyButFailing({ startMs, durationMs: 12_000, requestsPerSecond: 60 }), readyButFailing({ startMs, durationMs: 12_000, requestsPerSecond: 60, wholeWorkload: true })],
    [
      stalePeers({ startMs, staleForMs: 12_000, servingForMs: 7000, requestsPerSecond: 20 }),
      stalePeers({ startMs, staleForMs: 12_000, servingForMs: 7000, requestsPerSecond: 20, clean: true }),
    ],
  ];
}

function hopscope(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, HOPSCOPE_DATA_DIR: dir, KUBECONFIG: '', SHELL: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The sends as the collector file exporter's proto stream: each request prefixed by its length (4 bytes, big-endian). */
function protoStream(sends: readonly Send[]): Buffer {
  return Buffer.concat(
    sends.flatMap((s) => {
      const length = Buffer.alloc(4);
      length.writeUInt32BE(s.body.length);
      return [length, Buffer.from(s.body)];
    }),
  );
}

/** What each kind/subkind of a finding list scored, and any kind/subkind found at warning or above that the truth lacks. */
function verdicts(scenario: ClusterScenario, findings: Finding[]): { scores: string[]; failures: string[] } {
  const score = scoreScenario(scenario, { findings, stitches: [] });
  const scores: string[] = [];
  const failures: string[] = score.unexpected.map((name) => `${scenario.name}: unexpected ${name}`);
  for (const [name, c] of score.findings) {
    scores.push(`${scenario.name} ${name}: ${c.correct}/${c.claimed} claimed right, ${c.correct}/${c.truth} found`);
    if (c.truth > 0 && !(precision(c) >= TARGET && recall(c) >= TARGET)) failures.push(`${scenario.name} ${name}: P ${precision(c).toFixed(3)} R ${recall(c).toFixed(3)}`);
  }
  return { scores, failures };
}

describe('cluster detectors, scored against the scenarios', () => {
  it('analyze finds each defect from files and the recorded history, with the cluster unreachable; the twins stay silent', async () => {
    const closed = await FakeApiServer.start();
    const { files } = closed.writeKubeconfig({ contexts: [{ name: 'gone', user: closed.tokenUser('admin') }], file: path.join(dir, 'unreachable.yaml') });
    await closed.close();

    // recent data: the store's retention keeps cluster history only as far back as its telemetry (7 days)
    const runs = pairs(Date.now() - 3_600_000)
      .flat()
      .map(async (scenario, i) => {
        const file = path.join(dir, `scenario-${i}.otlp`);
        writeFileSync(file, protoStream(scenario.sends));
        const db = path.join(dir, `scenario-${i}.db`);
        const store = openStore({ path: db });
        // as `serve --cluster` would have recorded it, under the API server's URL
        await store.recordClusterChanges(closed.url, clusterChanges(scenario.timeline));
        await store.close();
        const r = await hopscope(['analyze', file, '--db', db, '--cluster', '--kubeconfig', files[0], '--format', 'json']);
        expect(r.code, r.stderr).toBe(0);
        const doc = JSON.parse(r.stdout) as { cluster: { unreadable: unknown[] }; findings: (Finding & { objects: { kind: string; name: string }[] })[] };
        expect(doc.cluster.unreadable).toHaveLength(1);
        return { scenario, doc };
      });
    const results = await Promise.all(runs);
    const all = results.map(({ scenario, doc }) => verdicts(scenario, doc.findings));
    console.log(all.flatMap((v) => v.scores).join('\n'));
    expect(all.flatMap((v) => v.failures)).toEqual([]);
    for (const { scenario, doc } of results) {
      if (scenario.truth.findings.length === 0) expect(doc.findings.filter((f) => f.severity !== 'info'), scenario.name).toEqual([]);
    }

    // what a person sees: the pod behind each finding, and the panic the crashed container logged last
    const restart = results.find((r) => r.scenario.name === 'cluster/restart-mid-request')!.doc;
    const crashed = restart.findings.find((f) => f.kind === 'restart-during-trace' && f.subkind === 'crashed')!;
    expect(crashed.evidence).toMatchObject({ reason: 'Error', exitCode: 2, container: 'app' });
    expect((crashed.evidence.lastLogs as { body: string }[])[0].body).toMatch(/^panic: json: cannot unmarshal string into Go struct field Config\.timeout/);
    expect(crashed.objects[0]).toMatchObject({ kind: 'Pod', name: expect.stringMatching(/^render-/) });
    const stale = results.find((r) => r.scenario.name === 'cluster/stale-peer-address')!.doc;
    const noPod = stale.findings.find((f) => f.kind === 'stale-peer-address' && f.subkind === 'no-pod')!;
    expect(noPod.evidence.pod).toMatch(/^ledger-/);
  }, 60_000);

  it('serve finds each defect live, watching the cluster while the timeline plays; the twins stay silent', async () => {
    const server = await FakeApiServer.start({ bookmarkIntervalMs: 200 });
    server.allow('admin', { verbs: ['get', 'list', 'watch'], resources: ['*'] });
    const { files } = server.writeKubeconfig({ contexts: [{ name: 'fake', user: server.tokenUser('admin') }], file: path.join(dir, 'live.yaml') });
    const serves: Served[] = [];
    try {
      // the defects to one collector, their twins to another: a finding names its service, and the twins share theirs
      const probe = pairs();
      const namespaces = (i: 0 | 1) => probe.flatMap((p) => ['--namespace', p[i].namespace]);
      const started = await Promise.allSettled(([0, 1] as const).map((i) => startServe(['--db', path.join(dir, `live-${i}.db`), '--settle', '3', '--cluster', '--kubeconfig', files[0], ...namespaces(i)])));
      for (const s of started) if (s.status === 'fulfilled') serves.push(s.value);
      for (const s of started) if (s.status === 'rejected') throw s.reason;
      await Promise.all(serves.map(waitSynced));

      const startMs = Date.now() + 3000;
      const live = pairs(startMs);
      const defects = live.map((p) => p[0]);
      const twins = live.map((p) => p[1]);
      await Promise.all([play(server, serves[0], defects), play(server, serves[1], twins)]);

      // per-trace findings come once a trace has settled, ready-but-failing once its window has (10 s windows)
      let findings: WireFindings['findings'] = [];
      const deadline = Date.now() + 45_000;
      while (Date.now() < deadline) {
        findings = (await serves[0].get<WireFindings>('/api/findings')).findings;
        if (liveVerdicts(defects, findings).missing.length === 0) break;
        await sleep(1000);
      }
      const verdict = liveVerdicts(defects, findings);
      console.log(verdict.scores.join('\n'));
      expect(verdict.missing).toEqual([]);
      expect(verdict.failures).toEqual([]);
      // the twins had the same time
      const twinFindings = (await serves[1].get<WireFindings>('/api/findings')).findings.filter((f) => f.severity !== 'info');
      expect(twinFindings.map((f) => `${f.kind}/${f.subkind} ${f.service} ×${f.count}`)).toEqual([]);
    } finally {
      await Promise.all(serves.map((s) => s.stop()));
      await server.close();
    }
  }, 110_000);
});

// ---- serve, live ---------------------------------------------------------------------------------------------

interface Served {
  otlp: string;
  get<T>(route: string): Promise<T>;
  stop(): Promise<void>;
}

/** Spawns `hopscope serve` on free ports and reads where it listens, and the UI's token, from what it prints. */
function startServe(args: string[]): Promise<Served> {
  return new Promise((resolve, reject) => {
    const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [bin, 'serve', '--otlp-grpc', '0', '--otlp-http', '0', '--ui', '0', ...args], {
      cwd: dir,
      env: { ...process.env, HOPSCOPE_DATA_DIR: dir, KUBECONFIG: '', SHELL: '' },
    });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<void>((done) => child.on('exit', () => done()));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.on('exit', (code) => reject(new Error(`serve exited (${code}) before it was ready: ${stderr}`)));
    child.stdout.on('data', (c: Buffer) => {
      stdout += c;
      if (!stdout.includes('Point a Go service here')) return;
      const otlp = /OTLP\/HTTP: (\S+)/.exec(stdout)![1];
      const ui = new URL(/UI: (\S+)/.exec(stdout)![1]);
      const token = ui.searchParams.get('token')!;
      if (!stdout.includes('Cluster: watching context fake')) reject(new Error(`serve does not watch the cluster: ${stdout}`));
      resolve({
        otlp,
        async get<T>(route: string) {
          const res = await fetch(new URL(route, ui.origin), { headers: { authorization: `Bearer ${token}` } });
          expect(res.status, route).toBe(200);
          return (await res.json()) as T;
        },
        async stop() {
          if (child.exitCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
}

async function waitSynced(s: Served): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { watch } = await s.get<WireClusterStatus>('/api/cluster');
    if (watch.streams.length > 0 && watch.streams.every((st) => st.state === 'synced')) return;
    if (Date.now() > deadline) throw new Error(`the cluster watch did not sync: ${JSON.stringify(watch)}`);
    await sleep(200);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Applies a timeline entry to the API server as the controllers and the kubelet would (a deletion with its own deletionTimestamp). */
function apply(server: FakeApiServer, entry: TimelineEntry): void {
  const { object } = entry;
  if (entry.op === 'create') server.create(object);
  else if (entry.op === 'finalize') server.finalizeDelete(kindOf(object), object.metadata.namespace, object.metadata.name);
  else server.update(object);
}

/** Plays the scenarios in real time: each change to the cluster when it happens, each export when the services send it. */
async function play(server: FakeApiServer, serve: Served, scenarios: ClusterScenario[]): Promise<void> {
  type Step = { atMs: number; order: number; run: () => Promise<void> | void };
  const steps: Step[] = [];
  let order = 0;
  for (const s of scenarios) {
    for (const entry of s.timeline) steps.push({ atMs: entry.atMs, order: order++, run: () => apply(server, entry) });
    for (const send of s.sends) {
      steps.push({
        atMs: send.atMs,
        order: order++,
        run: async () => {
          const res = await fetch(`${serve.otlp}/v1/${send.signal}`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: send.body });
          expect(res.status).toBe(200);
        },
      });
    }
  }
  steps.sort((a, b) => a.atMs - b.atMs || a.order - b.order);
  const pending: Promise<void>[] = [];
  for (const step of steps) {
    const wait = step.atMs - Date.now();
    if (wait > 0) await sleep(wait);
    const result = step.run();
    if (result) pending.push(result);
  }
  await Promise.all(pending);
}

/**
 * The live findings against the truth: serve keeps a few occurrences per finding and counts them all, so
 * precision is judged on those it lists and recall on its counts (as far as the listed ones are right).
 */
function liveVerdicts(scenarios: ClusterScenario[], findings: WireFindings['findings']): { scores: string[]; failures: string[]; missing: string[] } {
  const truth = new Map<string, Set<string>>();
  for (const s of scenarios) {
    for (const f of s.truth.findings) {
      const name = `${f.kind}/${f.subkind}`;
      const set = truth.get(name) ?? new Set<string>();
      for (const o of f.occurrences) set.add(`${f.service}:${o.traceId}${o.spanId}`);
      truth.set(name, set);
    }
  }
  const found = new Map<string, { count: number; listed: number; right: number }>();
  for (const f of findings) {
    if (f.severity === 'info') continue;
    const name = `${f.kind}/${f.subkind}`;
    const c = found.get(name) ?? { count: 0, listed: 0, right: 0 };
    c.count += f.count;
    c.listed += f.occurrences.length;
    c.right += f.occurrences.filter((o) => truth.get(name)?.has(`${f.service}:${o.traceId}${o.spanId}`)).length;
    found.set(name, c);
  }
  const scores: string[] = [];
  const failures: string[] = [];
  const missing: string[] = [];
  for (const [name, c] of found) if (!truth.has(name)) failures.push(`unexpected ${name} ×${c.count}`);
  for (const [name, expected] of truth) {
    const c = found.get(name) ?? { count: 0, listed: 0, right: 0 };
    const p = c.listed === 0 ? NaN : c.right / c.listed;
    const r = Math.min(1, (c.count * (Number.isNaN(p) ? 0 : p)) / expected.size);
    scores.push(`live ${name}: ${c.right}/${c.listed} listed right, count ${c.count} of ${expected.size} true`);
    if (r < TARGET) missing.push(`${name}: count ${c.count} of ${expected.size}`);
    if (!(p >= TARGET)) failures.push(`${name}: listed occurrences right ${c.right}/${c.listed}`);
    if (c.count > expected.size / TARGET) failures.push(`${name}: counted ${c.count}, only ${expected.size} true`);
  }
  return { scores, failures, missing };
}
