// The cluster detectors in `serve`: settled traces are judged against the history the store recorded around
// their spans, and ready-but-failing per window over the lookback before it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PodState } from '../common/cluster';
import type { StoredFinding } from '../collector/store/types';
import { startLiveAnalysis } from '../collector/live-analysis';
import { SpanKind, StatusCode } from '../collector/model';
import { openStore } from '../collector/store';
import type { ClusterChange } from '../collector/store/cluster';
import { attributes, log, resource, span, spanId, tempDir, traceId } from '../collector/store/testing';
import type { Store } from '../collector/store/types';

const SERVER = 'https://127.0.0.1:6443';
const B = Date.now() - 600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const ns = (ms: number) => BigInt(Math.round(ms)) * 1_000_000n;
const owner = { kind: 'ReplicaSet', name: 'api-7f9', uid: 'rs1' };

let store: Store;
const dir = tempDir();

function podState(ip: string, o: Partial<PodState> = {}): PodState {
  return { phase: 'Running', conditions: { Ready: { status: 'True' } }, podIPs: [ip], labels: { app: 'api' }, owner, containers: [{ name: 'app', ready: true, restartCount: 0, state: 'running' }], ...o };
}

function change(kind: ClusterChange extends infer C ? (C extends { identity: { kind: infer K } } ? K : never) : never, name: string, uid: string, observedMs: number, state: object): ClusterChange {
  return { identity: { kind, namespace: 'shop', name, uid }, created: iso(B - 600_000), resourceVersion: `${uid}-${observedMs}`, observedMs, state } as ClusterChange;
}

const apiPod = (n: number) => resource('api', { 'k8s.namespace.name': 'shop', 'k8s.pod.name': `api-${n}` });
const web = resource('web', { 'k8s.namespace.name': 'shop', 'k8s.pod.name': 'web-1' });
let nextTrace = 1;

beforeAll(async () => {
  store = openStore({ path: dir.file('live.db') });
  await store.recordClusterChanges(SERVER, [
    change('Deployment', 'api', 'd1', B - 600_000, { labels: {}, replicas: 3 }),
    change('ReplicaSet', 'api-7f9', 'rs1', B - 600_000, { labels: {}, owner: { kind: 'Deployment', name: 'api', uid: 'd1' } }),
    change('Pod', 'api-0', 'p0', B - 600_000, podState('10.1.0.1')),
    change('Pod', 'api-1', 'p1', B - 600_000, podState('10.1.0.2')),
    change('Pod', 'api-2', 'p2', B - 600_000, podState('10.1.0.3')),
    change('Pod', 'web-1', 'w1', B - 600_000, podState('10.1.1.1', { owner: undefined, labels: { app: 'web' } })),
    // api-1's container is OOMKilled at B+50 s
    change('Pod', 'api-1', 'p1', B + 50_400, podState('10.1.0.2', { containers: [{ name: 'app', ready: false, restartCount: 1, state: 'running', lastTerminated: { reason: 'OOMKilled', exitCode: 137, finishedAt: iso(B + 50_000) } }] })),
    // old-1 (10.1.0.9) is deleted at B+20 s and gone at B+30 s
    change('Pod', 'old-1', 'p9', B - 600_000, podState('10.1.0.9')),
    change('Pod', 'old-1', 'p9', B + 20_000, podState('10.1.0.9', { deletionTimestamp: iso(B + 30_000), deletionGracePeriodSeconds: 10, conditions: { Ready: { status: 'False' } } })),
  ]);
  await store.recordClusterChanges(SERVER, [{ identity: { kind: 'Pod', namespace: 'shop', name: 'old-1', uid: 'p9' }, created: iso(B - 600_000), resourceVersion: 'gone', observedMs: B + 30_000, deleted: true }]);

  const spans = [];
  // 40 requests on each api pod; api-0 fails 30 of them, api-1 one
  for (let pod = 0; pod < 3; pod++) {
    for (let n = 0; n < 40; n++) {
      const start = B + n * 1_000 + pod;
      const failed = (pod === 0 && n < 30) || (pod === 1 && n === 7);
      spans.push(span({ traceId: traceId(nextTrace++), spanId: spanId(1), name: 'GET /orders', kind: SpanKind.SERVER, startNs: ns(start), endNs: ns(start + 5), resource: apiPod(pod), attributes: attributes({ 'http.response.status_code': failed ? 503 : 200 }) }));
    }
  }
  const call = (t: number, address: string, start: number, end: number, error: boolean) =>
    span({ traceId: traceId(t), spanId: spanId(2), name: 'GET /orders', kind: SpanKind.CLIENT, startNs: ns(start), endNs: ns(end), resource: web, attributes: attributes({ 'network.peer.address': address }), status: error ? { code: StatusCode.ERROR, message: 'EOF' } : undefined });
  spans.push(call(1001, '10.1.0.2', B + 49_600, B + 51_000, true), call(1002, '10.1.0.9', B + 40_000, B + 40_010, true), call(1003, '10.1.0.3', B + 40_000, B + 40_010, false));
  const logs = [log({ timeNs: ns(B + 49_000), body: 'panic: runtime error: invalid memory address or nil pointer dereference', severityText: 'ERROR', resource: resource('api', { 'k8s.namespace.name': 'shop', 'k8s.pod.name': 'api-1' }) })];
  await store.write({ spans, logs });
  await store.flush();
});

afterAll(async () => {
  await store?.close();
  dir.remove();
});

describe('cluster detectors in serve', () => {
  it('judges settled traces against the recorded history, and ready-but-failing per window', async () => {
    const analysis = startLiveAnalysis(store, { paused: true, settleMs: 0 });
    while ((await analysis.tick()) > 0);
    await analysis.evaluateWindows();
    while ((await analysis.evaluateWindows()) > 0);
    await analysis.stop();
    const findings = store.reader.findings();
    const of = (kind: string): StoredFinding[] => findings.filter((f) => f.kind === kind);

    const [restart, ...moreRestarts] = of('restart-during-trace');
    expect(moreRestarts).toEqual([]);
    expect(restart).toMatchObject({ subkind: 'oom-killed', service: 'web', count: 1, occurrences: [{ traceId: traceId(1001), spanId: spanId(2) }] });
    expect(restart.evidence).toMatchObject({ pod: 'api-1', reason: 'OOMKilled', exitCode: 137 });
    expect((restart.evidence.lastLogs as { body: string }[])[0].body).toMatch(/^panic: runtime error/);

    const [stale, ...moreStale] = of('stale-peer-address');
    expect(moreStale).toEqual([]);
    expect(stale).toMatchObject({ subkind: 'no-pod', service: 'web', count: 1, occurrences: [{ traceId: traceId(1002), spanId: spanId(2) }] });

    const ready = of('ready-but-failing');
    expect(ready.reduce((n, f) => n + f.count, 0)).toBe(30);
    expect(ready.every((f) => f.evidence.pod === 'api-0' && f.service === 'api')).toBe(true);
    expect(of('served-while-terminating')).toEqual([]);
  });
});
