import { describe, expect, it } from 'vitest';
import type { WireClusterStream, WireClusterWatch, WireNamespaceWorkloads, WireWorkload, WireWorkloadPod } from '../../../common/wire';
import { filterWorkloads, parseNamespaces, podLabels, podStatus, readiness, watchHeadline, watchSummary, workloadLinks, workloadTotals } from './workloads';

const stream = (resource: string, namespace: string, over: Partial<WireClusterStream> = {}): WireClusterStream => ({ kind: 'Pod', resource, namespace, state: 'synced', restarts: 0, objects: 1, ...over });
const watch = (streams: WireClusterStream[], over: Partial<WireClusterWatch> = {}): WireClusterWatch => ({ connected: true, context: 'prod', server: 'https://k8s:6443', namespaces: [], streams, ...over });
const forbidden = (resource: string, namespace: string) =>
  stream(resource, namespace, { state: 'error', failure: 'forbidden', error: `cannot list ${resource} ${namespace ? `in namespace ${namespace}` : 'at the cluster scope'} (forbidden by RBAC)` });
const pod = (name: string, over: Partial<WireWorkloadPod> = {}): WireWorkloadPod => ({ name, uid: `uid-${name}`, phase: 'Running', ready: true, restarts: 0, terminating: false, gone: null, ...over });
const workload = (over: Partial<WireWorkload> = {}): WireWorkload => ({
  kind: 'Deployment',
  namespace: 'shop',
  name: 'checkout',
  uid: 'uid-checkout',
  known: true,
  replicas: 2,
  readyReplicas: 2,
  pods: [],
  restarts: 0,
  findings: [],
  gone: null,
  ...over,
});

describe('watchSummary', () => {
  it('groups RBAC refusals by namespace and other failures by message, the unexpected first', () => {
    const unreachable = 'cannot reach the cluster at https://k8s:6443: connection refused (ECONNREFUSED)';
    const summary = watchSummary(
      watch([
        stream('pods', 'shop'),
        forbidden('pods', 'payments'),
        forbidden('services', 'payments'),
        forbidden('nodes', ''),
        stream('events', 'shop', { state: 'error', failure: 'unreachable', error: unreachable }),
        stream('services', 'shop', { state: 'error', failure: 'unreachable', error: unreachable }),
      ]),
    );
    expect(summary.health).toBe('problems');
    expect(summary.problems).toEqual([
      { title: unreachable, detail: unreachable, resources: ['events', 'services'], forbidden: false },
      { title: 'Not allowed in namespace payments', detail: 'cannot list pods in namespace payments (forbidden by RBAC)', resources: ['pods', 'services'], forbidden: true },
      { title: 'Not allowed at the cluster scope', detail: 'cannot list nodes at the cluster scope (forbidden by RBAC)', resources: ['nodes'], forbidden: true },
    ]);
  });

  it('is off when disconnected, syncing until every stream listed, then synced', () => {
    expect(watchSummary(watch([], { connected: false })).health).toBe('off');
    expect(watchSummary(watch([])).health).toBe('syncing');
    const syncing = watch([stream('pods', ''), stream('nodes', '', { state: 'syncing' })]);
    expect(watchSummary(syncing).health).toBe('syncing');
    expect(watchHeadline(syncing, watchSummary(syncing))).toBe('1 of 2 synced · 1 syncing');
    const synced = watch([stream('pods', ''), stream('nodes', '')]);
    expect(watchHeadline(synced, watchSummary(synced))).toBe('Synced · 2 resources');
    const refused = watch([stream('pods', 'shop'), forbidden('pods', 'ops')]);
    expect(watchHeadline(refused, watchSummary(refused))).toBe('1 of 2 synced · 1 unreadable');
    expect(watchHeadline(watch([], { error: 'no kubeconfig found' }), watchSummary(watch([], { error: 'x' })))).toBe('Not watching');
  });
});

describe('readiness', () => {
  it('reads ready of desired for controllers, what the pods did for Jobs, and the pod itself for a bare pod', () => {
    expect(readiness(workload({ readyReplicas: 1 }))).toEqual({ text: '1/2', tone: 'warn' });
    expect(readiness(workload({ readyReplicas: 0 }))).toEqual({ text: '0/2', tone: 'bad' });
    expect(readiness(workload())).toEqual({ text: '2/2', tone: 'ok' });
    expect(readiness(workload({ replicas: 0, readyReplicas: 0 }))).toEqual({ text: '0/0', tone: 'neutral' });
    expect(readiness(workload({ kind: 'StatefulSet', replicas: null, readyReplicas: null, known: false }))).toEqual({ text: '—', tone: 'neutral' });
    expect(readiness(workload({ kind: 'CronJob', pods: [pod('a', { phase: 'Succeeded', ready: false }), pod('b', { phase: 'Succeeded', ready: false, gone: '2025-01-01T00:00:00Z' })] }))).toEqual({ text: '1 succeeded', tone: 'neutral' });
    expect(readiness(workload({ kind: 'Job', pods: [pod('a'), pod('b', { phase: 'Failed', ready: false })] }))).toEqual({ text: '1 running · 1 failed', tone: 'bad' });
    expect(readiness(workload({ kind: 'CronJob', pods: [] }))).toEqual({ text: 'idle', tone: 'neutral' });
    expect(readiness(workload({ kind: 'Pod', pods: [pod('debug', { ready: false })] }))).toEqual({ text: 'Running · not ready', tone: 'warn' });
  });

  it('words a pod by its trouble first', () => {
    expect(podStatus(pod('a', { ready: false, reason: 'CrashLoopBackOff' }))).toEqual({ text: 'CrashLoopBackOff', tone: 'bad' });
    expect(podStatus(pod('a', { phase: 'Pending', ready: false, reason: 'ContainerCreating' }))).toEqual({ text: 'ContainerCreating', tone: 'warn' });
    expect(podStatus(pod('a', { terminating: true, reason: 'Completed' }))).toEqual({ text: 'terminating', tone: 'bad' });
    expect(podStatus(pod('a'))).toEqual({ text: 'Running · Ready', tone: 'ok' });
  });
});

describe('the table', () => {
  const namespaces: WireNamespaceWorkloads[] = [
    { namespace: 'ops', workloads: [workload({ namespace: 'ops', kind: 'CronJob', name: 'backup', pods: [pod('backup-1', { phase: 'Succeeded', ready: false })] })] },
    {
      namespace: 'shop',
      workloads: [
        workload({ pods: [pod('checkout-7c9d8-a'), pod('checkout-7c9d8-b', { ready: false }), pod('checkout-7c9d8-c', { gone: '2025-01-01T00:00:00Z' })], findings: [{ fingerprint: 'f', severity: 'warning', title: 't' }] }),
        workload({ name: 'web', uid: 'uid-web', pods: [pod('web-0')] }),
      ],
    },
  ];

  it('filters by namespace and by workload or pod name, dropping namespaces left empty', () => {
    expect(filterWorkloads(namespaces, {}).map((ns) => ns.namespace)).toEqual(['ops', 'shop']);
    expect(filterWorkloads(namespaces, { namespace: 'shop' }).map((ns) => ns.workloads.length)).toEqual([2]);
    expect(filterWorkloads(namespaces, { text: ' 7C9D8-B ' }).flatMap((ns) => ns.workloads.map((w) => w.name))).toEqual(['checkout']);
    expect(filterWorkloads(namespaces, { text: 'cronjob' }).flatMap((ns) => ns.workloads.map((w) => w.name))).toEqual(['backup']);
    expect(filterWorkloads(namespaces, { namespace: 'ops', text: 'web' })).toEqual([]);
  });

  it('counts pods that exist, those not ready (finished ones are fine), and workloads with findings', () => {
    expect(workloadTotals(namespaces)).toEqual({ workloads: 3, pods: 4, notReady: 1, withFindings: 1 });
  });

  it('labels pods without what their workload and ReplicaSet or Job put in every name', () => {
    const labels = (name: string, pods: string[]) => [...podLabels({ name, pods: pods.map((p) => pod(p)) }).values()];
    expect(labels('checkout', ['checkout-7c9d8-x2lq', 'checkout-7c9d8-q9rt'])).toEqual(['x2lq', 'q9rt']);
    expect(labels('checkout', ['checkout-7c9d8-x2lq', 'checkout-55f6b-m4kd'])).toEqual(['7c9d8-x2lq', '55f6b-m4kd']);
    expect(labels('db', ['db-0', 'db-1'])).toEqual(['0', '1']);
    expect(labels('report', ['report-29941891-q7x2k'])).toEqual(['q7x2k']);
    expect(labels('debug', ['debug'])).toEqual(['debug']);
  });

  it('turns a workload and its pods into the links the object panel names and opens', () => {
    const links = workloadLinks(namespaces[1].workloads[1]);
    expect(links.map((l) => [l.kind, l.name, l.uid, l.linkedBy])).toEqual([
      ['Pod', 'web-0', 'uid-web-0', 'pod of Deployment web'],
      ['Deployment', 'web', 'uid-web', 'workload'],
    ]);
  });

  it('reads a namespace list typed with commas or spaces, and names what is not a namespace', () => {
    expect(parseNamespaces('')).toEqual({ namespaces: [] });
    expect(parseNamespaces(' shop, payments  shop ')).toEqual({ namespaces: ['shop', 'payments'] });
    expect(parseNamespaces('shop, Payments')).toEqual({ namespaces: ['shop', 'Payments'], invalid: 'Payments' });
  });
});
