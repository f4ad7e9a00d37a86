import { describe, expect, it } from 'vitest';
import type { EndpointSliceState, PodState } from '../../common/cluster';
import { severityOf } from '../../common/findings';
import { SpanKind, StatusCode } from '../../common/telemetry';
import { emptyScope, newLogRecord, setAttribute, type Span } from '../model';
import { analyzeAll } from './analyze';
import { assembleTrace } from './assemble';
import { emptyCoverage } from './cluster-coverage';
import { podLogsOf } from './cluster-detectors';
import { binomialUpperTail, ReadyButFailing } from './ready-but-failing';
import { findRestartDuringTrace } from './restart-during-trace';
import { findStalePeerAddress } from './stale-peer-address';
import { HistoryBuilder, iso, pod } from './test-cluster';
import { msToNs, resource, span } from './test-spans';

// test-spans times are ms after this epoch
const EPOCH = 1_750_000_000_000;
const at = (ms: number) => EPOCH + ms;
const POD_IP = '10.1.0.7';
const owner = { kind: 'ReplicaSet', name: 'api-7f9', uid: 'rs1' };

let traceNo = 0;
/** A CLIENT span of `web` calling `address`, alone in its trace unless a server span is added. */
function callTo(address: string, start: number, end: number, o: { error?: string; serverChild?: boolean; serverAddressOnly?: boolean } = {}): Span[] {
  const trace = (++traceNo).toString(16).padStart(32, '0');
  const client = span({ id: `c${traceNo}`, trace, name: 'GET /orders', kind: SpanKind.CLIENT, start, end, resource: resource('web', 'web-1') });
  setAttribute(client.attributes, o.serverAddressOnly ? 'server.address' : 'network.peer.address', address);
  if (o.error) client.status = { code: StatusCode.ERROR, message: o.error };
  const spans = [client];
  if (o.serverChild) spans.push(span({ id: `s${traceNo}`, parent: `c${traceNo}`, trace, kind: SpanKind.SERVER, start: start + 1, end: end - 1, resource: resource('api', 'api-1') }));
  return spans;
}

const running = (o: Partial<PodState> = {}) => pod({ podIPs: [POD_IP], owner, ...o });
const slice = (endpoints: EndpointSliceState['endpoints']): EndpointSliceState => ({ service: 'api', ports: [], endpoints });
const endpoint = (ready: boolean, o: { uid?: string; name?: string; ip?: string; terminating?: boolean } = {}) => ({
  addresses: [o.ip ?? POD_IP],
  ready,
  serving: ready,
  terminating: o.terminating ?? false,
  pod: { name: o.name ?? 'api-1', uid: o.uid ?? 'p1' },
});

describe('restart-during-trace', () => {
  const KILL = 20_000;
  function history(reason = 'OOMKilled', exitCode = 137) {
    const restarted = running({
      containers: [{ name: 'app', ready: false, restartCount: 1, state: 'waiting', reason: 'CrashLoopBackOff', lastTerminated: { reason, exitCode, startedAt: iso(at(0)), finishedAt: iso(at(KILL)) } }],
      conditions: { Ready: { status: 'False' } },
    });
    return new HistoryBuilder()
      .add('Pod', 'shop', 'api-1', 'p1', at(-600_000), [
        [at(-600_000), running()],
        [at(KILL + 400), restarted],
      ])
      .add('Event', 'shop', 'api-1.backoff', 'e1', at(KILL + 2_000), [[at(KILL + 2_000), { involved: { kind: 'Pod', namespace: 'shop', name: 'api-1', uid: 'p1' }, reason: 'BackOff', message: 'Back-off restarting failed container app', type: 'Warning', count: 3, lastTime: iso(at(KILL + 2_000)) }]])
      .build();
  }

  it('ties a failed call with no server span to the container OOMKilled while it was in flight, with the instance’s last logs, panics first', () => {
    const h = history();
    const apiResource = resource('api', 'api-1');
    const log = (ms: number, body: string, severityText = 'INFO') => newLogRecord({ timeNs: msToNs(ms), body, severityText, resource: apiResource, scope: emptyScope() });
    const logs = podLogsOf([log(KILL - 3_000, 'loading config'), log(KILL - 2_000, 'panic: json: cannot unmarshal string into Go struct field Config.timeout', 'ERROR'), log(KILL - 1_000, 'serving'), log(KILL - 120_000, 'too early')], h);
    const [found, ...rest] = findRestartDuringTrace(assembleTrace(callTo(POD_IP, KILL - 300, KILL + 2_000, { error: 'EOF' })), h, logs);
    expect(rest).toEqual([]);
    expect(found).toMatchObject({ kind: 'restart-during-trace', subkind: 'oom-killed', service: 'web', operation: 'GET /orders' });
    expect(severityOf(found)).toBe('error');
    expect(found.evidence).toMatchObject({ pod: 'api-1', podUid: 'p1', container: 'app', reason: 'OOMKilled', exitCode: 137, finishedAt: iso(at(KILL)), restartCount: 1, address: POD_IP, failure: 'caller error: EOF' });
    expect(found.evidence.events).toEqual(['Warning BackOff (×3): Back-off restarting failed container app']);
    const lines = found.evidence.lastLogs as { body: string }[];
    expect(lines.map((l) => l.body)).toEqual(['panic: json: cannot unmarshal string into Go struct field Config.timeout', 'serving', 'loading config']);
  });

  it('calls an exit that is not an OOMKill a crash, with its reason and exit code', () => {
    const [found] = findRestartDuringTrace(assembleTrace(callTo(POD_IP, KILL - 100, KILL + 500, { error: 'connection reset by peer' })), history('Error', 2));
    expect(found).toMatchObject({ subkind: 'crashed', evidence: { reason: 'Error', exitCode: 2 } });
  });

  it('counts a call that ended within finishedAt’s second (it has whole seconds) and finds the peer in server.address', () => {
    const found = findRestartDuringTrace(assembleTrace(callTo(POD_IP, KILL + 200, KILL + 600, { error: 'EOF', serverAddressOnly: true })), history());
    expect(found).toHaveLength(1);
  });

  it('stays silent for a restart between requests, a call that answered, a call that succeeded and a call to another address', () => {
    const h = history();
    const silent = [
      callTo(POD_IP, KILL - 5_000, KILL - 2_000, { error: 'timeout' }), // ended before the kill
      callTo(POD_IP, KILL + 2_000, KILL + 2_010, { error: 'connection refused' }), // while the container was down: not in flight
      callTo(POD_IP, KILL - 300, KILL + 2_000, { error: 'EOF', serverChild: true }), // the server span arrived
      callTo(POD_IP, KILL - 300, KILL + 2_000), // succeeded
      callTo('10.1.0.99', KILL - 300, KILL + 2_000, { error: 'EOF' }),
    ];
    for (const spans of silent) expect(findRestartDuringTrace(assembleTrace(spans), h)).toEqual([]);
  });
});

describe('stale-peer-address', () => {
  const DELETED = 30_000;
  const GONE = DELETED + 10_000;
  function history() {
    const terminating = running({ deletionTimestamp: iso(at(DELETED + 10_000)), deletionGracePeriodSeconds: 10, conditions: { Ready: { status: 'False' } } });
    return new HistoryBuilder()
      .add('Pod', 'shop', 'api-1', 'p1', at(-600_000), [
        [at(-600_000), running()],
        [at(DELETED), terminating],
      ], at(GONE))
      .add('Pod', 'shop', 'api-2', 'p2', at(-600_000), [[at(-600_000), running({ podIPs: ['10.1.0.8'] })]])
      .add('Pod', 'shop', 'api-3', 'p3', at(-600_000), [
        [at(-600_000), running({ podIPs: ['10.1.0.9'] })],
        [at(50_000), running({ podIPs: ['10.1.0.9'], conditions: { Ready: { status: 'False' } } })],
      ])
      // the IP is reused a minute later by a new pod
      .add('Pod', 'shop', 'cache-1', 'p9', at(100_000), [[at(100_000), pod({ podIPs: [POD_IP], owner: { kind: 'ReplicaSet', name: 'cache-1', uid: 'rs9' } })]])
      .add('EndpointSlice', 'shop', 'api-x', 's1', at(-600_000), [
        [at(-600_000), slice([endpoint(true), endpoint(true, { uid: 'p2', name: 'api-2', ip: '10.1.0.8' }), endpoint(true, { uid: 'p3', name: 'api-3', ip: '10.1.0.9' })])],
        [at(DELETED + 1_000), slice([endpoint(false, { terminating: true }), endpoint(true, { uid: 'p2', name: 'api-2', ip: '10.1.0.8' }), endpoint(true, { uid: 'p3', name: 'api-3', ip: '10.1.0.9' })])],
        [at(50_500), slice([endpoint(true, { uid: 'p2', name: 'api-2', ip: '10.1.0.8' }), endpoint(false, { uid: 'p3', name: 'api-3', ip: '10.1.0.9' })])],
      ])
      .build();
  }
  const find = (spans: Span[]) => findStalePeerAddress(assembleTrace(spans), history());

  it('reports calls to a pod being deleted seconds after its endpoints moved on, with where they should have gone', () => {
    const [found] = find(callTo(POD_IP, DELETED + 8_000, DELETED + 8_050));
    expect(found).toMatchObject({ kind: 'stale-peer-address', subkind: 'deleted-pod', service: 'web', operation: 'GET /orders' });
    expect(severityOf(found)).toBe('warning');
    expect(found.evidence).toMatchObject({ address: POD_IP, pod: 'api-1', podUid: 'p1', heldUntil: null, endpointsMovedOn: iso(at(DELETED)), calledAfterMs: 8_000, clientInstance: 'web-1', outcome: 'succeeded' });
    expect(found.evidence.targetEndpoints).toEqual(['10.1.0.7 (api-1) terminating', '10.1.0.8 (api-2) ready', '10.1.0.9 (api-3) ready']);
  });

  it('reports calls to an address no pod holds any more as no-pod, with the last holder', () => {
    const [found] = find(callTo(POD_IP, GONE + 5_000, GONE + 5_010, { error: 'connect: connection refused' }));
    expect(found).toMatchObject({ subkind: 'no-pod', evidence: { pod: 'api-1', heldUntil: iso(at(GONE)), calledAfterMs: 15_000, outcome: 'caller error: connect: connection refused' } });
    expect(severityOf(found)).toBe('error');
  });

  it('reports calls to a pod not ready for seconds', () => {
    const [found] = find(callTo('10.1.0.9', 56_000, 56_010));
    expect(found).toMatchObject({ subkind: 'not-ready-pod', evidence: { pod: 'api-3', calledAfterMs: 6_000 } });
  });

  it('stays silent within propagation time, for ready pods, for an address reused by a new pod, and for addresses no pod ever held', () => {
    for (const spans of [
      callTo(POD_IP, DELETED + 2_000, DELETED + 2_050), // endpoints propagate within seconds
      callTo(POD_IP, DELETED - 1_000, DELETED - 990),
      callTo('10.1.0.8', DELETED + 20_000, DELETED + 20_010),
      callTo('10.1.0.9', 52_000, 52_010), // not ready for 2 s only
      callTo(POD_IP, 120_000, 120_010), // cache-1 holds it now
      callTo('10.96.0.10', DELETED + 20_000, DELETED + 20_010), // a Service's ClusterIP
    ])
      expect(find(spans)).toEqual([]);
  });
});

describe('ready-but-failing', () => {
  it('computes binomial upper tails', () => {
    expect(binomialUpperTail(0, 10, 0.3)).toBe(1);
    expect(binomialUpperTail(1, 1, 0.5)).toBeCloseTo(0.5, 12);
    expect(binomialUpperTail(8, 10, 0.5)).toBeCloseTo(56 / 1024, 12);
    expect(binomialUpperTail(30, 40, 0.02)).toBeLessThan(1e-30);
    expect(binomialUpperTail(2000, 4000, 0.5)).toBeCloseTo(0.5063, 3);
  });

  const traceOf = (pod: number, n: number) => ((pod + 1) * 0x100000 + n).toString(16).padStart(32, '0');
  const podOf = (traceId: string) => (parseInt(traceId, 16) >> 20) - 1;

  /** Three pods of one Deployment; `failing[i]` of 40 requests fail on pod i. */
  function workload(failing: number[], o: { notReadyFrom?: number } = {}) {
    const b = new HistoryBuilder();
    b.add('Deployment', 'shop', 'api', 'd1', at(-900_000), [[at(-900_000), { labels: {}, replicas: 3 }]]);
    b.add('ReplicaSet', 'shop', 'api-7f9', 'rs1', at(-900_000), [[at(-900_000), { labels: {}, owner: { kind: 'Deployment', name: 'api', uid: 'd1' } }]]);
    failing.forEach((_, i) => {
      const states: [number, PodState][] = [[at(-600_000), running({ podIPs: [`10.1.0.${i + 1}`], readinessProbes: { app: 'http-get :8080/healthz' } })]];
      if (i === 0 && o.notReadyFrom !== undefined) states.push([at(o.notReadyFrom), running({ conditions: { Ready: { status: 'False' } } })]);
      b.add('Pod', 'shop', `api-${i}`, `p${i}`, at(-600_000), states);
    });
    const traces: Span[][] = [];
    failing.forEach((fails, i) => {
      for (let n = 0; n < 40; n++) {
        const start = n * 1_000 + i;
        const s = span({ id: `${i}${n}`, trace: traceOf(i, n), name: 'GET /orders', kind: SpanKind.SERVER, start, end: start + 5, resource: resource('api', `api-${i}`) });
        if (n < fails) setAttribute(s.attributes, 'http.response.status_code', 503n);
        traces.push([s]);
      }
    });
    return { history: b.build(), traces };
  }

  function evaluate(w: ReturnType<typeof workload>) {
    const r = new ReadyButFailing();
    for (const t of w.traces) r.add(t, w.history);
    return r.evaluate(w.history);
  }

  it('reports the failing spans of a Ready pod that fails most requests while its siblings do not, with the rates and the probe', () => {
    const found = evaluate(workload([30, 1, 0]));
    expect(found).toHaveLength(30);
    expect(new Set(found.map((f) => podOf(f.at.traceId)))).toEqual(new Set([0]));
    expect(found[0]).toMatchObject({ kind: 'ready-but-failing', subkind: 'failing', service: 'api', operation: 'GET /orders' });
    expect(found[0].evidence).toMatchObject({ pod: 'api-0', podUid: 'p0', workload: 'Deployment/api', podErrorRate: '75 % (30 of 40)', siblingErrorRate: '1.3 % (1 of 80) over 2 pods', readinessProbe: ['app: http-get :8080/healthz'], unhealthyEvents: 'none recorded: the probe kept passing' });
    expect(found[0].evidence.pValue as number).toBeLessThan(1e-4);
  });

  it('gives the same from tallies merged batch by batch (as serve tallies in one thread and judges in another)', () => {
    const w = workload([30, 1, 0]);
    const merged = new ReadyButFailing(10_000);
    const whole = new ReadyButFailing(10_000);
    for (let i = 0; i < w.traces.length; i += 7) {
      const batch = new ReadyButFailing(10_000);
      for (const t of w.traces.slice(i, i + 7)) {
        batch.add(t, w.history);
        whole.add(t, w.history);
      }
      // as the window worker receives it: cloned
      merged.merge(structuredClone(batch.tally()));
    }
    const all = { fromMs: -Infinity, toMs: Infinity };
    const found = merged.evaluate(w.history, all);
    expect(found).toHaveLength(30);
    expect(found).toEqual(whole.evaluate(w.history, all));
  });

  it('stays silent when the whole workload fails, when a pod fails only half, with too few spans, and does not count spans while the pod was not Ready', () => {
    expect(evaluate(workload([30, 28, 31]))).toEqual([]);
    expect(evaluate(workload([20, 1, 0]))).toEqual([]);
    const few = workload([30, 1, 0]);
    few.traces = few.traces.filter((_, i) => i % 40 < 15 || i >= 40);
    expect(evaluate(few)).toEqual([]);
    // not Ready after 25 s: only 25 of its spans count (all failing, 25 > 20): reported at those only
    expect(evaluate(workload([30, 1, 0], { notReadyFrom: 24_500 }))).toHaveLength(25);
  });

  it('runs in analyzeAll with the cluster, and counts what it could not judge', () => {
    const w = workload([30, 1, 0]);
    const unlinked = span({ id: 'u1', trace: 'f'.repeat(32), kind: SpanKind.SERVER, start: 1, end: 2, resource: resource('api') });
    const coverage = emptyCoverage();
    const { findings } = analyzeAll([...w.traces, [unlinked], callTo('', 1, 2)], [], undefined, { cluster: w.history, clusterCoverage: coverage });
    const found = findings.find((f) => f.kind === 'ready-but-failing');
    expect(found).toMatchObject({ subkind: 'failing', count: 30, service: 'api' });
    expect(coverage).toEqual({ beforeHistory: 0, serverSpansUnlinked: 1, callsWithoutPeerAddress: 1 });
  });
});
