import { describe, expect, it } from 'vitest';
import type { ObjectLink } from '../../../common/cluster';
import { chipObjects, clusterTime, compactStatusText, conditionTone, goneText, linkedOwners, objectStatus, objectTooltip, otherObjects, ownerPath, relativeTime, rootPod } from './objects';

const link = (kind: ObjectLink['kind'], name: string, linkedBy: string, status: ObjectLink['status'] = {}, gone: string | null = null): ObjectLink => ({
  kind,
  namespace: kind === 'Node' ? '' : 'shop',
  name,
  uid: `${kind}-${name}`,
  status,
  gone,
  linkedBy,
});

const pod = link('Pod', 'api-7c9d8-x2lq', 'k8s.pod.uid', { phase: 'Running', ready: true, restarts: 0, terminating: false, node: 'node-a' });
const replicaSet = link('ReplicaSet', 'api-7c9d8', 'owner of Pod api-7c9d8-x2lq', { replicas: 3, ready: 3 });
const deployment = link('Deployment', 'api', 'owner of ReplicaSet api-7c9d8', { replicas: 3, ready: 2 });
const node = link('Node', 'node-a', 'node of Pod api-7c9d8-x2lq', { ready: true });
const service = link('Service', 'api', 'service selecting Pod api-7c9d8-x2lq', { clusterIP: '10.96.0.12' });
const slice = link('EndpointSlice', 'api-x8k2', 'endpoint slice listing Pod api-7c9d8-x2lq', { endpoints: 3, ready: 2, terminating: 1 });
const event = link('Event', 'api-7c9d8-x2lq.1', 'event about Pod api-7c9d8-x2lq', { reason: 'Killing', type: 'Normal', count: 1, message: 'Stopping container api' });
const objects = [pod, replicaSet, deployment, node, service, slice, event];

describe('objectStatus', () => {
  it('words a pod as running and ready, not ready, terminating or finished, with its restarts', () => {
    expect(objectStatus(pod)).toEqual({ text: 'Running · Ready', tone: 'ok', restarts: 0 });
    expect(objectStatus({ kind: 'Pod', status: { phase: 'Running', ready: false, restarts: 3, terminating: false } })).toEqual({ text: 'Running · not ready', tone: 'warn', restarts: 3 });
    expect(objectStatus({ kind: 'Pod', status: { phase: 'Running', ready: true, restarts: 0, terminating: true } })).toEqual({ text: 'terminating', tone: 'bad', restarts: 0 });
    expect(objectStatus({ kind: 'Pod', status: { phase: 'Pending', ready: false } }).tone).toBe('warn');
    expect(objectStatus({ kind: 'Pod', status: { phase: 'Failed', restarts: 1 } })).toEqual({ text: 'Failed', tone: 'bad', restarts: 1 });
  });

  it('words workloads by ready replicas, nodes by readiness, slices by ready and terminating endpoints', () => {
    expect(objectStatus(replicaSet)).toMatchObject({ text: '3/3 ready', tone: 'ok' });
    expect(objectStatus(deployment)).toMatchObject({ text: '2/3 ready', tone: 'warn' });
    expect(objectStatus({ kind: 'Deployment', status: { replicas: 0, ready: null } }).text).toBe('scaled to 0');
    expect(objectStatus({ kind: 'Job', status: { replicas: null, ready: null } }).text).toBe('');
    expect(objectStatus(node)).toMatchObject({ text: 'Ready', tone: 'ok' });
    expect(objectStatus({ kind: 'Node', status: { ready: false } })).toMatchObject({ text: 'NotReady', tone: 'bad' });
    expect(objectStatus(service)).toMatchObject({ text: '10.96.0.12', tone: 'neutral' });
    expect(objectStatus(slice)).toMatchObject({ text: '2/3 ready · 1 terminating', tone: 'warn' });
    expect(objectStatus(event)).toMatchObject({ text: 'Normal Killing', tone: 'neutral' });
  });

  it('says nothing of a summary it does not know', () => {
    expect(objectStatus({ kind: 'Pod', status: {} })).toEqual({ text: 'not ready', tone: 'warn', restarts: 0 });
  });
});

describe('conditionTone', () => {
  it('is good when a condition holds, except for the node pressures, which are good when they do not', () => {
    expect(conditionTone('Ready', 'True')).toBe('ok');
    expect(conditionTone('Ready', 'False')).toBe('bad');
    expect(conditionTone('MemoryPressure', 'False')).toBe('ok');
    expect(conditionTone('DiskPressure', 'True')).toBe('bad');
    expect(conditionTone('Ready', 'Unknown')).toBe('warn');
  });
});

describe('times', () => {
  const now = Date.parse('2026-03-03T14:05:00Z');

  it('says how long ago, in the largest unit that fits', () => {
    expect(relativeTime(now - 2_000, now)).toBe('just now');
    expect(relativeTime(now + 60_000, now)).toBe('just now');
    expect(relativeTime(now - 42_000, now)).toBe('42s ago');
    expect(relativeTime(now - 3 * 60_000 - 59_000, now)).toBe('3m ago');
    expect(relativeTime(now - 5 * 3_600_000, now)).toBe('5h ago');
    expect(relativeTime(now - 2 * 86_400_000, now)).toBe('2d ago');
  });

  it('says when an object went, and nothing while it exists', () => {
    expect(goneText('2026-03-03T14:02:00Z', now)).toBe('gone 3m ago');
    expect(goneText(null, now)).toBeUndefined();
    expect(goneText('yesterday', now)).toBe('gone');
  });

  it('shows API server times to the second, with the date when not today', () => {
    const today = new Date(2026, 2, 3, 18, 0, 0);
    expect(clusterTime(new Date(2026, 2, 3, 14, 3, 27).toISOString(), today)).toBe('14:03:27');
    expect(clusterTime(new Date(2026, 2, 1, 9, 0, 5).getTime(), today)).toBe('Mar 1 09:00:05');
    expect(clusterTime(new Date(2025, 9, 30, 14, 3, 0).toISOString(), today)).toBe('2025-10-30 14:03');
    expect(clusterTime('not a time', today)).toBe('not a time');
  });
});

describe('owners and chips', () => {
  it('follows the owner relations up from a pod, nearest first, and words the chain top first', () => {
    expect(linkedOwners(objects, pod)).toEqual([replicaSet, deployment]);
    expect(linkedOwners(objects, deployment)).toEqual([]);
    expect(ownerPath(linkedOwners(objects, pod))).toBe('Deployment api › ReplicaSet api-7c9d8');
  });

  it('gives chips to the pods, their top owners and nodes; the rest is for the panel', () => {
    expect(chipObjects(objects)).toEqual([pod, deployment, node]);
    expect(otherObjects(objects)).toEqual([replicaSet, service, slice]);
    expect(chipObjects([])).toEqual([]);
  });

  it('names one workload once for pods of several occurrences, and a bare ReplicaSet as the top', () => {
    const other = link('Pod', 'api-7c9d8-q9rt', 'k8s.pod.name', { phase: 'Running', ready: true });
    const bare = link('ReplicaSet', 'batch-5f', 'owner of Pod batch-5f-abcde', { replicas: 1, ready: 1 });
    expect(chipObjects([pod, replicaSet, deployment, other, bare])).toEqual([pod, other, deployment, bare]);
  });

  it('puts status, owners, the link rule and the time it went in the tooltip', () => {
    const now = Date.parse('2026-03-03T14:05:00Z');
    const gonePod = { ...pod, status: { ...pod.status, restarts: 3 }, gone: '2026-03-03T14:02:00Z' };
    expect(objectTooltip(gonePod, objects, now).split('\n')).toEqual([
      'Pod shop/api-7c9d8-x2lq',
      'Running · Ready, 3 restarts',
      'owned by Deployment api › ReplicaSet api-7c9d8',
      'linked by k8s.pod.uid',
      'gone 3m ago (2026-03-03T14:02:00Z)',
    ]);
    expect(objectTooltip(node, objects, now)).toBe('Node node-a\nReady\nlinked by node of Pod api-7c9d8-x2lq');
  });
});

describe('the pod of a trace list row', () => {
  it('is the pod with its top workload, named in the tooltip as its owner', () => {
    expect(rootPod(undefined)).toBeUndefined();
    expect(rootPod([])).toBeUndefined();
    expect(rootPod([pod, deployment])).toEqual({ pod, workload: deployment });
    expect(rootPod([pod])).toEqual({ pod, workload: undefined });
    expect(objectTooltip(pod, [pod, deployment], 0, [deployment]).split('\n')).toEqual(['Pod shop/api-7c9d8-x2lq', 'Running · Ready', 'owned by Deployment api', 'linked by k8s.pod.uid']);
  });

  it('says only what is wrong with it, in as few words as a row has room for', () => {
    expect(compactStatusText(objectStatus(pod))).toBe('');
    expect(compactStatusText(objectStatus({ kind: 'Pod', status: { phase: 'Running', ready: false, restarts: 3 } }))).toBe('not ready');
    expect(compactStatusText(objectStatus({ kind: 'Pod', status: { phase: 'Pending', ready: false } }))).toBe('Pending · not ready');
    expect(compactStatusText(objectStatus({ kind: 'Pod', status: { phase: 'Running', ready: true, terminating: true } }))).toBe('terminating');
    expect(compactStatusText(objectStatus(deployment))).toBe('2/3 ready');
  });
});
