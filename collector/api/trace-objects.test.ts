// The pod (and its top workload) of each trace's root span on the trace list and the live summaries: linked by
// each rule at the root's time, from one reading of the cluster history per page, and nothing at all without one.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ClusterKind, ClusterStateOf, PodState } from '../../common/cluster';
import type { WireEventMap, WirePage, WireTraceSummary } from '../../common/wire';
import { SpanKind } from '../model';
import { openStore } from '../store';
import type { ObjectChange } from '../store/cluster';
import { resource, span, spanId, tempDir, traceId } from '../store/testing';
import type { Store } from '../store/types';
import { startApiServer, type RunningApiServer } from './server';

const TOKEN = 'test-token-0123456789';
const CLUSTER = 'https://127.0.0.1:6443';
// Recent, or retention would take the history of pods gone long ago.
const MS = Math.floor(Date.now() / 1000) * 1000 - 600_000;
const at = (offsetMs: number) => new Date(MS + offsetMs).toISOString();
const ns = (offsetMs: number) => BigInt(MS + offsetMs) * 1_000_000n;

let dir: ReturnType<typeof tempDir>;
let store: Store;
let server: RunningApiServer;

beforeEach(async () => {
  dir = tempDir();
  store = openStore({ path: dir.file('hopscope.db') });
  server = await startApiServer({ host: '127.0.0.1', port: 0, token: TOKEN, store, ingest: (batch) => store.write(batch), importFile: () => Promise.reject(new Error('no imports here')) });
});

afterEach(async () => {
  vi.restoreAllMocks();
  await server.close();
  await store.close();
  dir.remove();
});

async function listTraces(query = ''): Promise<Map<string, WireTraceSummary>> {
  const res = await fetch(`${server.origin}/api/traces${query}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  const page = (await res.json()) as WirePage<WireTraceSummary>;
  return new Map(page.items.map((t) => [t.traceId, t]));
}

function change<K extends ClusterKind>(kind: K, name: string, uid: string, createdMs: number, observedMs: number, state: ClusterStateOf[K]): ObjectChange {
  return { identity: { kind, namespace: kind === 'Node' ? '' : 'shop', name, uid }, created: at(createdMs), resourceVersion: `${uid}@${observedMs}`, observedMs: MS + observedMs, state };
}

function podState(over: Partial<PodState>): PodState {
  return { phase: 'Running', conditions: { Ready: { status: 'True' } }, podIPs: [], labels: { app: 'api' }, containers: [{ name: 'app', ready: true, restartCount: 0, state: 'running' }], ...over };
}

const API_OWNER = { kind: 'ReplicaSet', name: 'api-7c9d8', uid: 'rs-api' };

/**
 * A Deployment api whose first pod (10.1.0.7) is told to stop at +5s and gone at +10s, the address then going to
 * its replacement created at +20s; a StatefulSet's pod found by container id, restarted 3 times; a bare pod.
 */
async function recordShop(): Promise<void> {
  await store.recordClusterChanges(CLUSTER, [
    change('Deployment', 'api', 'dep-api', -600_000, -600_000, { labels: {}, selector: { app: 'api' }, replicas: 1, readyReplicas: 1 }),
    change('ReplicaSet', 'api-7c9d8', 'rs-api', -600_000, -600_000, { labels: {}, owner: { kind: 'Deployment', name: 'api', uid: 'dep-api' }, replicas: 1, readyReplicas: 1 }),
    change('Pod', 'api-7c9d8-aaaaa', 'pod-a', -600_000, -600_000, podState({ podIPs: ['10.1.0.7'], owner: API_OWNER, nodeName: 'node-1' })),
    change('Pod', 'api-7c9d8-aaaaa', 'pod-a', -600_000, 5_000, podState({ podIPs: ['10.1.0.7'], owner: API_OWNER, nodeName: 'node-1', deletionTimestamp: at(35_000), deletionGracePeriodSeconds: 30, conditions: { Ready: { status: 'False' } } })),
    change('Pod', 'api-7c9d8-bbbbb', 'pod-b', 20_000, 20_000, podState({ podIPs: ['10.1.0.7'], owner: API_OWNER, nodeName: 'node-1' })),
    change('Node', 'node-1', 'node-1', -900_000, -900_000, { conditions: { Ready: { status: 'True' } }, addresses: ['10.0.0.1'], labels: {} }),
    change('Service', 'api', 'svc-api', -900_000, -900_000, { selector: { app: 'api' }, clusterIPs: ['10.96.0.10'], ports: ['80/TCP'], labels: {} }),
    change('StatefulSet', 'worker', 'sts-worker', -600_000, -600_000, { labels: {}, replicas: 1, readyReplicas: 1 }),
    change('Pod', 'worker-0', 'pod-w', -600_000, -600_000, podState({
      labels: { app: 'worker' },
      owner: { kind: 'StatefulSet', name: 'worker', uid: 'sts-worker' },
      containers: [{ name: 'app', ready: true, restartCount: 3, state: 'running', containerId: 'abc123' }],
    })),
    change('Pod', 'debug', 'pod-d', -600_000, -600_000, podState({ labels: { app: 'debug' } })),
  ]);
  await store.recordClusterChanges(CLUSTER, [{ identity: { kind: 'Pod', namespace: 'shop', name: 'api-7c9d8-aaaaa', uid: 'pod-a' }, created: at(-600_000), resourceVersion: 'gone', observedMs: MS + 10_000, deleted: true }]);
}

const apiByIp = resource('api', { 'k8s.pod.ip': '10.1.0.7' });
const apiByName = resource('api', { 'k8s.namespace.name': 'shop', 'k8s.pod.name': 'api-7c9d8-aaaaa' });
const worker = resource('worker', { 'container.id': 'containerd://abc123' });
const debug = resource('debug', { 'k8s.pod.uid': 'pod-d' });
const laptop = resource('frontend', { 'host.name': 'laptop' });
const plain = resource('batch');

/** One trace per case, each a root span (started at `offsetMs`) in `res` with a child in another resource. */
function traces(): { spans: ReturnType<typeof span>[]; logs: [] } {
  const root = (n: number, res: typeof apiByIp, offsetMs: number) => [
    span({ traceId: traceId(n), spanId: spanId(n * 10), name: `root ${n}`, kind: SpanKind.SERVER, resource: res, startNs: ns(offsetMs), endNs: ns(offsetMs + 50) }),
    // The child runs elsewhere (and, in trace 1, earlier than its root): the root's resource is the one that counts.
    span({ traceId: traceId(n), spanId: spanId(n * 10 + 1), parentSpanId: spanId(n * 10), name: 'child', resource: n === 1 ? worker : laptop, startNs: ns(offsetMs - (n === 1 ? 5 : -5)), endNs: ns(offsetMs + 40) }),
  ];
  return {
    spans: [
      ...root(1, apiByIp, 0), // the address was the first api pod's
      ...root(2, apiByIp, 60_000), // and then its replacement's
      ...root(3, apiByName, 7_000), // the first pod by name, while it was terminating
      ...root(4, worker, 1_000),
      ...root(5, debug, 2_000),
      ...root(6, laptop, 3_000),
      ...root(8, plain, 4_000),
    ],
    logs: [],
  };
}

const brief = (t: WireTraceSummary | undefined) => t?.objects?.map((o) => `${o.kind} ${o.name} by ${o.linkedBy}`);

describe('the pods of trace roots', () => {
  it('links each root by its rule, at its own time, from one reading of the history per page', async () => {
    await recordShop();
    await store.write(traces());
    const around = vi.spyOn(store.reader, 'clusterHistoryAround');
    const listed = await listTraces();
    // One reading for the page, of the pods and their owners only (a row names no node, service or event).
    expect(around).toHaveBeenCalledTimes(1);
    expect(around).toHaveBeenCalledWith(CLUSTER, expect.anything(), { related: false });
    const read = around.mock.results[0].value as ReturnType<Store['reader']['clusterHistoryAround']>;
    expect(read.objects.map((o) => o.uid).sort()).toEqual(['dep-api', 'pod-a', 'pod-b', 'pod-d', 'pod-w', 'rs-api', 'sts-worker']);

    expect(brief(listed.get(traceId(1)))).toEqual(['Pod api-7c9d8-aaaaa by k8s.pod.ip', 'Deployment api by owner of ReplicaSet api-7c9d8']);
    expect(listed.get(traceId(1))!.objects![0]).toEqual({
      kind: 'Pod',
      namespace: 'shop',
      name: 'api-7c9d8-aaaaa',
      uid: 'pod-a',
      status: { phase: 'Running', ready: true, restarts: 0, terminating: false, node: 'node-1' },
      gone: new Date(MS + 10_000).toISOString(),
      linkedBy: 'k8s.pod.ip',
    });
    expect(listed.get(traceId(1))!.objects![1]).toMatchObject({ kind: 'Deployment', uid: 'dep-api', status: { replicas: 1, ready: 1 }, gone: null });
    // The same address a minute later: the pod that held it then.
    expect(brief(listed.get(traceId(2)))).toEqual(['Pod api-7c9d8-bbbbb by k8s.pod.ip', 'Deployment api by owner of ReplicaSet api-7c9d8']);
    expect(listed.get(traceId(2))!.objects![0]).toMatchObject({ uid: 'pod-b', gone: null, status: { ready: true, terminating: false } });
    expect(brief(listed.get(traceId(3)))).toEqual(['Pod api-7c9d8-aaaaa by k8s.pod.name', 'Deployment api by owner of ReplicaSet api-7c9d8']);
    expect(listed.get(traceId(3))!.objects![0].status).toMatchObject({ ready: false, terminating: true });
    expect(brief(listed.get(traceId(4)))).toEqual(['Pod worker-0 by container.id', 'StatefulSet worker by owner of Pod worker-0']);
    expect(listed.get(traceId(4))!.objects![0].status).toMatchObject({ restarts: 3 });
    // A bare pod has no workload; a root outside the cluster gets no objects field at all.
    expect(brief(listed.get(traceId(5)))).toEqual(['Pod debug by k8s.pod.uid']);
    for (const outside of [6, 8]) {
      expect(listed.get(traceId(outside))).toBeDefined();
      expect(listed.get(traceId(outside))).not.toHaveProperty('objects');
    }

    // Each page reads once, whatever it holds; a page of roots that say nothing a pod could be found by reads nothing.
    expect(brief((await listTraces('?service=debug')).get(traceId(5)))).toEqual(['Pod debug by k8s.pod.uid']);
    expect(around).toHaveBeenCalledTimes(2);
    const outside = await listTraces('?service=batch');
    expect([...outside.keys()]).toEqual([traceId(8)]);
    expect(around).toHaveBeenCalledTimes(2);
  });

  it('puts them on the live summaries too', async () => {
    await recordShop();
    const events = await openEvents();
    await store.write({ spans: traces().spans.filter((s) => s.traceId === traceId(2)), logs: [] });
    const pushed = await events.next('traces');
    expect(pushed.updated.map(brief)).toEqual([['Pod api-7c9d8-bbbbb by k8s.pod.ip', 'Deployment api by owner of ReplicaSet api-7c9d8']]);
    events.close();
  });

  it('adds nothing and reads nothing of a cluster without its history', async () => {
    await store.write(traces());
    const around = vi.spyOn(store.reader, 'clusterHistoryAround');
    const roots = vi.spyOn(store.reader, 'rootPlaces');
    const listed = await listTraces();
    expect(listed.size).toBe(7);
    for (const t of listed.values()) {
      expect(Object.keys(t).sort()).toEqual(['durationNs', 'errorCount', 'findingCount', 'rootOperation', 'rootService', 'services', 'spanCount', 'startNs', 'traceId']);
    }
    const events = await openEvents();
    await store.write({ spans: [span({ traceId: traceId(7), spanId: spanId(70), resource: apiByIp, startNs: ns(0), endNs: ns(1) })], logs: [] });
    const pushed = await events.next('traces');
    expect(pushed.updated).toHaveLength(1);
    expect(pushed.updated[0]).not.toHaveProperty('objects');
    events.close();
    expect(around).not.toHaveBeenCalled();
    expect(roots).not.toHaveBeenCalled();
  });
});

/** The next event of a name on the live stream. */
async function openEvents() {
  const abort = new AbortController();
  const res = await fetch(`${server.origin}/api/events`, { headers: { Authorization: `Bearer ${TOKEN}` }, signal: abort.signal });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const queue: { event: string; data: unknown }[] = [];
  async function next<E extends keyof WireEventMap>(name: E): Promise<WireEventMap[E]> {
    while (true) {
      const i = queue.findIndex((e) => e.event === name);
      if (i >= 0) return queue.splice(i, 1)[0].data as WireEventMap[E];
      const { value, done } = await reader.read();
      if (done) throw new Error('event stream ended');
      buffer += value;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) queue.push({ event, data: JSON.parse(data) });
      }
    }
  }
  return { next, close: () => abort.abort() };
}
