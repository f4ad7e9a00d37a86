import { describe, expect, it } from 'vitest';
import { daemonSet, deploymentWithPods, endpointSlice, event, job, cronJob, node, pod, service, statefulSet, type KubeObject as WireObject } from '../../test/kube/api-server';
import { createdOf, handlerSummary, identityOf, probeSummary, stateOf, type KubeObject } from './objects';

const asObject = (o: WireObject) => o as unknown as KubeObject;
const created = new Date('2025-06-01T10:00:00Z');

describe('pod state', () => {
  it('keeps exactly the fields of PodState from a running controller-owned pod', () => {
    const web = deploymentWithPods({ name: 'web', namespace: 'shop', replicas: 1, containers: [{ name: 'app', port: 8080, preStop: true, lastTermination: { reason: 'OOMKilled', exitCode: 137 } }] });
    const p = web.pods[0];
    const state = stateOf('Pod', asObject(p));
    const cid = (p.status!.containerStatuses as Array<{ containerID: string }>)[0].containerID;
    expect(state).toEqual({
      phase: 'Running',
      conditions: {
        PodReadyToStartContainers: { status: 'True', since: expect.any(String) },
        Initialized: { status: 'True', since: expect.any(String) },
        Ready: { status: 'True', since: expect.any(String) },
        ContainersReady: { status: 'True', since: expect.any(String) },
        PodScheduled: { status: 'True', since: expect.any(String) },
      },
      podIPs: [p.status!.podIP],
      hostIP: p.status!.hostIP,
      nodeName: 'node-1',
      owner: { kind: 'ReplicaSet', name: web.replicaSet.metadata.name, uid: web.replicaSet.metadata.uid },
      labels: p.metadata.labels,
      startTime: p.status!.startTime,
      containers: [
        {
          name: 'app',
          ready: true,
          restartCount: 1,
          state: 'running',
          startedAt: expect.any(String),
          lastTerminated: { reason: 'OOMKilled', exitCode: 137, startedAt: expect.any(String), finishedAt: expect.any(String) },
          containerId: cid.replace('containerd://', ''),
        },
      ],
      readinessProbes: { app: 'httpGet :8080/healthz every 10s' },
      preStopHooks: { app: 'exec sleep 5' },
      terminationGracePeriodSeconds: 30,
    });
    expect(JSON.stringify(state)).not.toContain('managedFields');
    expect(identityOf('Pod', asObject(p))).toEqual({ kind: 'Pod', namespace: 'shop', name: p.metadata.name, uid: p.metadata.uid });
  });

  it('reads waiting, terminated and deleting pods, podIP without podIPs, and other runtimes', () => {
    const p = pod({ name: 'crash', createdAt: created, containers: [{ name: 'app', state: 'waiting', waitingReason: 'CrashLoopBackOff', restartCount: 4 }, { name: 'side', state: 'terminated', terminated: { reason: 'Error', exitCode: 2 } }] });
    p.metadata.deletionTimestamp = '2025-06-01T10:05:00Z';
    p.metadata.deletionGracePeriodSeconds = 30;
    delete p.status!.podIPs;
    const statuses = p.status!.containerStatuses as Array<{ containerID?: string }>;
    statuses[0].containerID = 'cri-o://abc123';
    statuses[1].containerID = 'docker://def456';
    const state = stateOf('Pod', asObject(p));
    expect(state.podIPs).toEqual([p.status!.podIP]);
    expect(state.deletionTimestamp).toBe('2025-06-01T10:05:00Z');
    expect(state.deletionGracePeriodSeconds).toBe(30);
    expect(state.owner).toBeUndefined();
    expect(state.containers).toEqual([
      { name: 'app', ready: false, restartCount: 4, state: 'waiting', reason: 'CrashLoopBackOff', containerId: 'abc123' },
      {
        name: 'side',
        ready: false,
        restartCount: 0,
        state: 'terminated',
        reason: 'Error',
        startedAt: '2025-06-01T10:00:02Z',
        terminated: { reason: 'Error', exitCode: 2, startedAt: '2025-06-01T10:00:02Z', finishedAt: '2025-06-01T10:01:00Z' },
        containerId: 'def456',
      },
    ]);
    expect(createdOf(asObject(p))).toBe('2025-06-01T10:00:00Z');
  });

  it('reads an unscheduled pod with nothing but its phase and conditions', () => {
    const state = stateOf('Pod', asObject(pod({ name: 'pending', nodeName: null, phase: 'Pending' })));
    expect(state).toMatchObject({ phase: 'Pending', podIPs: [], containers: [], conditions: { PodScheduled: { status: 'False', reason: 'Unschedulable' } } });
    expect(state.nodeName).toBeUndefined();
    expect(stateOf('Pod', {}).phase).toBe('Unknown');
  });
});

describe('probe and hook summaries', () => {
  it.each([
    [{ httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10 }, 'httpGet :8080/healthz every 10s'],
    [{ httpGet: { path: '/ready', port: 'http', scheme: 'HTTPS' } }, 'httpGet :http/ready (HTTPS) every 10s'],
    [{ tcpSocket: { port: 9000 }, periodSeconds: 5 }, 'tcpSocket :9000 every 5s'],
    [{ grpc: { port: 9090 }, periodSeconds: 3 }, 'grpc :9090 every 3s'],
    [{ exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 2 }, 'exec cat /tmp/ready every 2s'],
  ])('probe %j → %s', (probe, line) => expect(probeSummary(probe)).toBe(line));

  it.each([
    [{ exec: { command: ['/bin/sh', '-c', 'sleep 5'] } }, 'exec sleep 5'],
    [{ exec: { command: ['sleep', '5'] } }, 'exec sleep 5'],
    [{ sleep: { seconds: 10 } }, 'sleep 10s'],
    [{ httpGet: { path: '/shutdown', port: 8080 } }, 'httpGet :8080/shutdown'],
    [{ exec: { command: ['curl', '-H', 'Authorization: Bearer abc.def.ghi', 'localhost/drain'] } }, 'exec curl -H Authorization: Bearer [redacted] localhost/drain'],
  ])('hook %j → %s', (hook, line) => expect(handlerSummary(hook)).toBe(line));
});

describe('other kinds', () => {
  it('workloads: owner, labels, selector, replicas and ready replicas as each controller reports them', () => {
    const web = deploymentWithPods({ name: 'web', replicas: 3, readyReplicas: 2 });
    expect(stateOf('Deployment', asObject(web.deployment))).toEqual({ labels: { app: 'web' }, selector: { app: 'web' }, replicas: 3, readyReplicas: 2 });
    expect(stateOf('ReplicaSet', asObject(web.replicaSet))).toMatchObject({ owner: { kind: 'Deployment', name: 'web', uid: web.deployment.metadata.uid }, replicas: 3, readyReplicas: 2 });
    expect(stateOf('StatefulSet', asObject(statefulSet({ name: 'db', replicas: 2, readyReplicas: 0 })))).toMatchObject({ replicas: 2, readyReplicas: 0 });
    expect(stateOf('DaemonSet', asObject(daemonSet({ name: 'agent', nodeCount: 4, readyReplicas: 3 })))).toMatchObject({ replicas: 4, readyReplicas: 3, selector: { 'app.kubernetes.io/name': 'agent' } });
    const cj = cronJob({ name: 'backup' });
    cj.metadata.uid = 'cj-uid';
    expect(stateOf('CronJob', asObject(cj))).toEqual({ labels: {} });
    expect(stateOf('Job', asObject(job({ cronJob: cj, outcome: 'running' })))).toMatchObject({ owner: { kind: 'CronJob', name: 'backup', uid: 'cj-uid' }, replicas: 1, readyReplicas: 1 });
  });

  it('node: conditions, typed addresses, labels', () => {
    const n = node({ name: 'node-1', internalIP: '10.0.0.5', ready: false });
    const state = stateOf('Node', asObject(n));
    expect(state.addresses).toEqual(['InternalIP:10.0.0.5', 'Hostname:node-1']);
    expect(state.conditions.Ready).toEqual({ status: 'Unknown', since: expect.any(String), reason: 'NodeStatusUnknown' });
    expect(state.labels['kubernetes.io/hostname']).toBe('node-1');
    expect(identityOf('Node', asObject(n)).namespace).toBe('');
  });

  it('service and endpoint slice: selector, cluster IPs, ports, endpoints with their pods', () => {
    const svc = service({ name: 'web', namespace: 'shop', clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, targetPort: 8080 }, { port: 9090, protocol: 'UDP' }] });
    svc.metadata.uid = 'svc-uid';
    expect(stateOf('Service', asObject(svc))).toEqual({ selector: { app: 'web' }, clusterIPs: ['10.96.0.10'], ports: ['http:80/TCP', '9090/UDP'], labels: { app: 'web' } });
    const headless = service({ name: 'db', clusterIP: 'None' });
    expect(stateOf('Service', asObject(headless)).clusterIPs).toEqual([]);

    const ready = pod({ name: 'web-1', namespace: 'shop', nodeName: 'node-2' });
    const going = pod({ name: 'web-2', namespace: 'shop' });
    going.metadata.deletionTimestamp = '2025-06-01T10:05:00Z';
    const slice = endpointSlice({ service: svc, endpoints: [{ pod: ready }, { pod: going }] });
    expect(stateOf('EndpointSlice', asObject(slice))).toEqual({
      service: 'web',
      endpoints: [
        { addresses: [ready.status!.podIP], ready: true, serving: true, terminating: false, pod: { name: 'web-1', uid: ready.metadata.uid }, nodeName: 'node-2' },
        { addresses: [going.status!.podIP], ready: false, serving: true, terminating: true, pod: { name: 'web-2', uid: going.metadata.uid }, nodeName: 'node-1' },
      ],
      ports: ['http:8080/TCP', '9090/UDP'],
    });
  });

  it('events: legacy counts and timestamps, or eventTime and series from events.k8s.io recorders', () => {
    const p = pod({ name: 'web-1', namespace: 'shop' });
    const legacy = event({ involved: p, type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container app', count: 3, firstSeen: created, lastSeen: new Date('2025-06-01T10:03:00Z') });
    expect(stateOf('Event', asObject(legacy))).toEqual({
      involved: { kind: 'Pod', namespace: 'shop', name: 'web-1', uid: p.metadata.uid },
      reason: 'BackOff',
      message: 'Back-off restarting failed container app',
      type: 'Warning',
      count: 3,
      firstTime: '2025-06-01T10:00:00Z',
      lastTime: '2025-06-01T10:03:00Z',
    });
    const modern = event({ involved: p, reason: 'Scheduled', message: 'Successfully assigned shop/web-1 to node-1', recorder: 'events.k8s.io', firstSeen: created });
    modern.series = { count: 2, lastObservedTime: '2025-06-01T10:09:00.000000Z' };
    expect(stateOf('Event', asObject(modern))).toMatchObject({ count: 2, firstTime: '2025-06-01T10:00:00.000000Z', lastTime: '2025-06-01T10:09:00.000000Z' });
  });
});
