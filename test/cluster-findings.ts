// A store seeded with a cluster's recorded history and the spans and logs of the four defects only the cluster
// can prove, as `serve --cluster` would have recorded them: a pod that served after its deletion, a container
// OOMKilled mid-request, a Ready pod failing most requests beside healthy siblings, and a client calling the
// address of a pod that is gone. Shared by the live-analysis test and the end-to-end screenshots.
import type { PodState } from '../common/cluster';
import { SpanKind, StatusCode, type Span } from '../collector/model';
import type { ClusterChange } from '../collector/store/cluster';
import { attributes, log, resource, span, spanId, traceId } from '../collector/store/testing';
import type { Store } from '../collector/store/types';

export const CLUSTER_SERVER = 'https://127.0.0.1:6443';

const iso = (ms: number) => new Date(ms).toISOString();
const ns = (ms: number) => BigInt(Math.round(ms)) * 1_000_000n;

export interface SeededClusterFindings {
  /** The CLIENT span in flight when api-1's container was OOMKilled. */
  restartCall: { traceId: string; spanId: string };
  /** The CLIENT span that called old-1's address after it was gone. */
  staleCall: { traceId: string; spanId: string };
  /** The SERVER spans that started on cart-1 after its deletion. */
  servedAfterDeletion: { traceId: string; spanId: string }[];
  /** How many of api-0's SERVER spans failed while it was Ready. */
  readyFailures: number;
}

/** Seeds `store` with everything happening from `base` (ms) on; spans must be older than the analysis' settle time. */
export async function seedClusterFindings(store: Store, base: number): Promise<SeededClusterFindings> {
  const B = base;
  const created = iso(B - 600_000);
  const change = (kind: ClusterChange extends infer C ? (C extends { identity: { kind: infer K } } ? K : never) : never, name: string, uid: string, observedMs: number, state: object): ClusterChange =>
    ({ identity: { kind, namespace: 'shop', name, uid }, created, resourceVersion: `${uid}-${observedMs}`, observedMs, state }) as ClusterChange;
  const apiRs = { kind: 'ReplicaSet', name: 'api-7f9c4', uid: 'rs-api' };
  const cartRs = { kind: 'ReplicaSet', name: 'cart-5d8b6', uid: 'rs-cart' };
  const podState = (ip: string, o: Partial<PodState> = {}): PodState => ({
    phase: 'Running',
    conditions: { Ready: { status: 'True', since: iso(B - 590_000) } },
    podIPs: [ip],
    hostIP: '10.0.0.4',
    nodeName: 'node-a',
    labels: { app: 'api' },
    owner: apiRs,
    startTime: iso(B - 595_000),
    containers: [{ name: 'app', ready: true, restartCount: 0, state: 'running', startedAt: iso(B - 590_000) }],
    readinessProbes: { app: 'http-get :8080/healthz' },
    terminationGracePeriodSeconds: 30,
    ...o,
  });
  const endpoint = (name: string, uid: string, ip: string, ready = true, terminating = false) => ({ addresses: [ip], ready, serving: ready || terminating, terminating, pod: { name, uid }, nodeName: 'node-a' });
  const apiSlice = (old: 'ready' | 'terminating' | 'gone') => ({
    service: 'api',
    ports: ['http 8080/TCP'],
    endpoints: [
      endpoint('api-7f9c4-x1', 'p0', '10.1.0.1'),
      endpoint('api-7f9c4-x2', 'p1', '10.1.0.2'),
      endpoint('api-7f9c4-x3', 'p2', '10.1.0.3'),
      ...(old === 'gone' ? [] : [endpoint('api-old', 'p9', '10.1.0.9', old === 'ready', old === 'terminating')]),
    ],
  });
  await store.recordClusterChanges(CLUSTER_SERVER, [
    change('Node', 'node-a', 'node-a-uid', B - 600_000, { conditions: { Ready: { status: 'True' } }, addresses: ['10.0.0.4'], labels: {} }),
    change('Deployment', 'api', 'd-api', B - 600_000, { labels: { app: 'api' }, selector: { app: 'api' }, replicas: 3, readyReplicas: 3 }),
    change('ReplicaSet', 'api-7f9c4', 'rs-api', B - 600_000, { labels: { app: 'api' }, owner: { kind: 'Deployment', name: 'api', uid: 'd-api' }, replicas: 3, readyReplicas: 3 }),
    change('Deployment', 'cart', 'd-cart', B - 600_000, { labels: { app: 'cart' }, selector: { app: 'cart' }, replicas: 1, readyReplicas: 1 }),
    change('ReplicaSet', 'cart-5d8b6', 'rs-cart', B - 600_000, { labels: { app: 'cart' }, owner: { kind: 'Deployment', name: 'cart', uid: 'd-cart' }, replicas: 1, readyReplicas: 1 }),
    change('Service', 'api', 'svc-api', B - 600_000, { selector: { app: 'api' }, clusterIPs: ['10.96.0.20'], ports: ['http 8080/TCP'], labels: {} }),
    change('EndpointSlice', 'api-x7k2p', 'es-api', B - 600_000, apiSlice('ready')),
    change('Pod', 'api-7f9c4-x1', 'p0', B - 600_000, podState('10.1.0.1')),
    change('Pod', 'api-7f9c4-x2', 'p1', B - 600_000, podState('10.1.0.2')),
    change('Pod', 'api-7f9c4-x3', 'p2', B - 600_000, podState('10.1.0.3')),
    change('Pod', 'web-6b7d-q1', 'w1', B - 600_000, podState('10.1.1.1', { owner: undefined, labels: { app: 'web' } })),
    // api-7f9c4-x2's container is OOMKilled at B+50 s
    change('Pod', 'api-7f9c4-x2', 'p1', B + 50_400, podState('10.1.0.2', {
      conditions: { Ready: { status: 'False', since: iso(B + 50_000), reason: 'ContainersNotReady' } },
      containers: [{ name: 'app', ready: false, restartCount: 1, state: 'running', startedAt: iso(B + 51_000), lastTerminated: { reason: 'OOMKilled', exitCode: 137, startedAt: iso(B - 590_000), finishedAt: iso(B + 50_000) } }],
    })),
    change('Event', 'api-7f9c4-x2.backoff', 'ev-1', B + 52_000, { involved: { kind: 'Pod', namespace: 'shop', name: 'api-7f9c4-x2', uid: 'p1' }, reason: 'BackOff', message: 'Back-off restarting failed container app in pod api-7f9c4-x2', type: 'Warning', count: 2, lastTime: iso(B + 52_000) }),
    // api-old (10.1.0.9) is deleted at B+20 s, its endpoint marked terminating, and gone at B+30 s
    change('Pod', 'api-old', 'p9', B - 600_000, podState('10.1.0.9')),
    change('Pod', 'api-old', 'p9', B + 20_000, podState('10.1.0.9', { deletionTimestamp: iso(B + 50_000), deletionGracePeriodSeconds: 30, conditions: { Ready: { status: 'False', since: iso(B + 20_000) } } })),
    change('EndpointSlice', 'api-x7k2p', 'es-api', B + 20_500, apiSlice('terminating')),
    change('EndpointSlice', 'api-x7k2p', 'es-api', B + 30_000, apiSlice('gone')),
    // cart-5d8b6-z1 is deleted at B+60 s with a 30 s grace period and no preStop hook
    change('Pod', 'cart-5d8b6-z1', 'c1', B - 600_000, podState('10.1.2.1', { owner: cartRs, labels: { app: 'cart' } })),
    change('Pod', 'cart-5d8b6-z1', 'c1', B + 60_000, podState('10.1.2.1', { owner: cartRs, labels: { app: 'cart' }, deletionTimestamp: iso(B + 90_000), deletionGracePeriodSeconds: 30 })),
    change('Event', 'cart-5d8b6-z1.killing', 'ev-2', B + 60_000, { involved: { kind: 'Pod', namespace: 'shop', name: 'cart-5d8b6-z1', uid: 'c1' }, reason: 'Killing', message: 'Stopping container app', type: 'Normal', count: 1, lastTime: iso(B + 60_000) }),
  ]);
  await store.recordClusterChanges(CLUSTER_SERVER, [{ identity: { kind: 'Pod', namespace: 'shop', name: 'api-old', uid: 'p9' }, created, resourceVersion: 'gone', observedMs: B + 30_000, deleted: true }]);

  const podResource = (service: string, pod: string) => resource(service, { 'k8s.namespace.name': 'shop', 'k8s.pod.name': pod });
  const web = podResource('web', 'web-6b7d-q1');
  const spans: Span[] = [];
  let next = 1;
  // 40 requests on each api pod; the first fails 30 of them (its siblings one between them)
  for (let pod = 0; pod < 3; pod++) {
    for (let n = 0; n < 40; n++) {
      const start = B + n * 1_000 + pod;
      const failed = (pod === 0 && n < 30) || (pod === 1 && n === 7);
      spans.push(span({ traceId: traceId(next++), spanId: spanId(1), name: 'GET /orders', kind: SpanKind.SERVER, startNs: ns(start), endNs: ns(start + 5), resource: podResource('api', `api-7f9c4-x${pod + 1}`), attributes: attributes({ 'http.response.status_code': failed ? 503 : 200 }), status: failed ? { code: StatusCode.ERROR, message: '' } : undefined }));
    }
  }
  const call = (start: number, end: number, address: string, error?: string) => {
    const ref = { traceId: traceId(next++), spanId: spanId(2) };
    spans.push(span({ ...ref, name: 'GET /orders', kind: SpanKind.CLIENT, startNs: ns(start), endNs: ns(end), resource: web, attributes: attributes({ 'network.peer.address': address, 'server.address': 'api.shop.svc' }), status: error ? { code: StatusCode.ERROR, message: error } : undefined }));
    return ref;
  };
  const restartCall = call(B + 49_600, B + 51_000, '10.1.0.2', 'read tcp 10.1.1.1:51234->10.1.0.2:8080: read: connection reset by peer');
  const staleCall = call(B + 40_000, B + 40_010, '10.1.0.9', 'dial tcp 10.1.0.9:8080: connect: no route to host');
  // Requests to cart after its deletion began: the first two answered, the third failed at the caller
  const servedAfterDeletion: { traceId: string; spanId: string }[] = [];
  for (const [i, offset] of [2_000, 4_500, 7_000].entries()) {
    const t = traceId(next++);
    const start = B + 60_000 + offset;
    const failed = i === 2;
    spans.push(span({ traceId: t, spanId: spanId(3), name: 'POST /cart', kind: SpanKind.CLIENT, startNs: ns(start - 2), endNs: ns(start + 30), resource: web, attributes: attributes({ 'network.peer.address': '10.96.0.30', 'http.response.status_code': failed ? 502 : 200 }), status: failed ? { code: StatusCode.ERROR, message: '' } : undefined }));
    spans.push(span({ traceId: t, spanId: spanId(4), parentSpanId: spanId(3), name: 'POST /cart', kind: SpanKind.SERVER, startNs: ns(start), endNs: ns(start + 25), resource: podResource('cart', 'cart-5d8b6-z1') }));
    servedAfterDeletion.push({ traceId: t, spanId: spanId(4) });
  }
  const api1 = podResource('api', 'api-7f9c4-x2');
  const logs = [
    log({ timeNs: ns(B + 48_000), body: 'loading price rules from /etc/api/rules.yaml', severityText: 'INFO', resource: api1 }),
    log({ timeNs: ns(B + 49_000), body: 'panic: runtime error: invalid memory address or nil pointer dereference', severityText: 'ERROR', resource: api1 }),
  ];
  await store.write({ spans, logs });
  await store.flush();
  return { restartCall, staleCall, servedAfterDeletion, readyFailures: 30 };
}
