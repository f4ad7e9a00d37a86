// `hopscope analyze --cluster` end to end: the real CLI and the real client-node against the test API server.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectLink } from '../common/cluster';
import { repoRoot } from './corpus';
import { deploymentWithPods, FakeApiServer, node, pod, service } from './kube/api-server';

const bin = path.join(repoRoot, 'bin', 'hopscope.mjs');
let server: FakeApiServer;
let dir: string;
let podName: string;

function hopscope(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // KUBECONFIG cleared so only the file given counts; the login shell is not asked for PATH in tests.
    const child = spawn(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, HOPSCOPE_DATA_DIR: dir, KUBECONFIG: '', SHELL: '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** One server span of `api` in the pod, whose parent never arrived: a broken-parent finding to link. */
function spanFile(resource: Record<string, string>): string {
  const startNs = BigInt(Date.now() + 1000) * 1_000_000n;
  const attributes = Object.entries(resource).map(([key, value]) => ({ key, value: { stringValue: value } }));
  const span = { traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), parentSpanId: 'ef'.repeat(8), name: 'GET /orders', kind: 2, startTimeUnixNano: String(startNs), endTimeUnixNano: String(startNs + 5_000_000n) };
  const file = path.join(dir, `spans-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ resourceSpans: [{ resource: { attributes }, scopeSpans: [{ spans: [span] }] }] }));
  return file;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hopscope-cluster-cli-'));
  server = await FakeApiServer.start();
  const { deployment, replicaSet, pods } = deploymentWithPods({ name: 'api', namespace: 'shop', replicas: 2 });
  for (const o of [node({ name: 'node-1' }), service({ name: 'api', namespace: 'shop', selector: { app: 'api' } }), deployment, replicaSet, ...pods]) server.create(o);
  podName = pods[0].metadata.name;
  server.allow('admin', { verbs: ['get', 'list', 'watch'], resources: ['*'] });
  server.allow('alice', { verbs: ['get', 'list', 'watch'], resources: ['*'], namespaces: ['shop'] });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('hopscope analyze --cluster', () => {
  it('adds to each finding the pod, its owners, node and service, and says which cluster it read', async () => {
    const { files } = server.writeKubeconfig({ contexts: [{ name: 'fake-admin', user: server.tokenUser('admin') }] });
    const file = spanFile({ 'service.name': 'api', 'k8s.namespace.name': 'shop', 'k8s.pod.name': podName });
    const r = await hopscope(['analyze', file, '--cluster', '--kubeconfig', files[0], '--format', 'json']);
    expect(r.stderr).not.toMatch(/cluster:/);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    // the span started before the cluster was first read: said so, not guessed
    expect(doc.cluster).toEqual({ context: 'fake-admin', server: server.url, version: expect.stringMatching(/^v1\./), unreadable: [], notes: [expect.stringMatching(/^1 span is older than the first recorded observation of the cluster/)] });
    const [finding] = doc.findings;
    expect(finding.kind).toBe('broken-parent');
    expect((finding.objects as ObjectLink[]).map((o) => [o.kind, o.name, o.linkedBy])).toEqual([
      ['Pod', podName, 'k8s.pod.name'],
      ['ReplicaSet', expect.stringMatching(/^api-/), `owner of Pod ${podName}`],
      ['Deployment', 'api', expect.stringMatching(/^owner of ReplicaSet api-/)],
      ['Node', 'node-1', `node of Pod ${podName}`],
      ['Service', 'api', `service selecting Pod ${podName}`],
    ]);
    expect(finding.objects[0]).toMatchObject({ namespace: 'shop', uid: expect.any(String), gone: null, status: { phase: 'Running', ready: true, restarts: 0, terminating: false, node: 'node-1' } });

    const text = await hopscope(['analyze', file, '--cluster', '--kubeconfig', files[0]]);
    expect(text.stdout).toContain(`Cluster: context fake-admin, ${server.url}`);
    expect(text.stdout).toContain(`on Pod shop/${podName} (Running)`);
  });

  it('reads what RBAC allows, names what it refused, and still links', async () => {
    const { files } = server.writeKubeconfig({ contexts: [{ name: 'fake-alice', user: server.tokenUser('alice') }] });
    const file = spanFile({ 'service.name': 'api', 'host.name': podName });
    const r = await hopscope(['analyze', file, '--cluster', '--kubeconfig', files[0], '--namespace', 'shop', '--namespace', 'kube-system', '--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    const refused = doc.cluster.unreadable as { resource: string; namespace: string; reason: string }[];
    expect(refused.find((u) => u.resource === 'pods' && u.namespace === 'kube-system')?.reason).toMatch(/cannot list.*pods.*kube-system/);
    expect(refused.find((u) => u.resource === 'nodes')?.namespace).toBe('');
    expect(refused.some((u) => u.namespace === 'shop')).toBe(false);
    expect(doc.findings[0].objects.map((o: ObjectLink) => o.kind)).toEqual(['Pod', 'ReplicaSet', 'Deployment', 'Service']);
    expect(r.stderr).toMatch(/hopscope: cluster: .*kube-system/);
  });

  it('analyzes anyway when the cluster cannot be reached, saying where it tried', async () => {
    const closed = await FakeApiServer.start();
    const { files } = closed.writeKubeconfig({ contexts: [{ name: 'gone', user: closed.tokenUser('admin') }], file: path.join(dir, 'gone.yaml') });
    const url = closed.url;
    await closed.close();
    const file = spanFile({ 'service.name': 'api', 'host.name': podName });
    const r = await hopscope(['analyze', file, '--cluster', '--kubeconfig', files[0], '--format', 'json', '--fail-on', 'warning']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.cluster.unreadable).toEqual([{ resource: '*', namespace: '', reason: expect.stringContaining(url.replace('https://', '')) }]);
    expect(doc.findings[0].objects).toEqual([]);
    expect(doc.findings[0].kind).toBe('broken-parent');
  });

  it('finds requests a pod served after its deletion began', async () => {
    server.create(pod({ name: 'api-doomed', namespace: 'shop', labels: { app: 'api' } }));
    server.delete('Pod', 'shop', 'api-doomed', { graceSeconds: 30 });
    const { files } = server.writeKubeconfig({ contexts: [{ name: 'fake-admin', user: server.tokenUser('admin') }] });
    const file = spanFile({ 'service.name': 'api', 'host.name': 'api-doomed' });
    const r = await hopscope(['analyze', file, '--cluster', '--kubeconfig', files[0], '--format', 'json']);
    const found = JSON.parse(r.stdout).findings.find((f: { kind: string }) => f.kind === 'served-while-terminating');
    expect(found).toMatchObject({ subkind: 'near-miss', service: 'api', operation: 'GET /orders', count: 1, evidence: { pod: 'api-doomed', gracePeriodSeconds: 30, preStop: 'none' } });
    expect(found.evidence.startedAfterDeletionMs).toBeGreaterThan(0);
    expect(found.objects[0]).toMatchObject({ kind: 'Pod', name: 'api-doomed', status: { terminating: true } });
  });

  it('with --db, links from the recorded history when the cluster can no longer be read', async () => {
    const db = path.join(dir, 'kept.db');
    const { files } = server.writeKubeconfig({ contexts: [{ name: 'fake-admin', user: server.tokenUser('admin') }] });
    const file = spanFile({ 'service.name': 'api', 'k8s.namespace.name': 'shop', 'k8s.pod.name': podName });
    expect((await hopscope(['import', file, '--db', db])).code).toBe(0);
    expect((await hopscope(['analyze', '--db', db, '--cluster', '--kubeconfig', files[0], '--format', 'json'])).code).toBe(0);
    const offline = await hopscope(['analyze', '--db', db, '--cluster', '--kubeconfig', path.join(dir, 'no-such-kubeconfig'), '--format', 'json']);
    const doc = JSON.parse(offline.stdout);
    expect(doc.cluster.unreadable[0].reason).toContain('no-such-kubeconfig');
    expect(doc.findings[0].objects.map((o: ObjectLink) => o.name)).toContain(podName);
  });

  it('without --cluster the document is unchanged; cluster flags alone are a usage error', async () => {
    const file = spanFile({ 'service.name': 'api', 'host.name': podName });
    const doc = JSON.parse((await hopscope(['analyze', file, '--format', 'json'])).stdout);
    expect(Object.keys(doc)).toEqual(['summary', 'findings', 'stitches']);
    expect(doc.findings[0].objects).toBeUndefined();
    const r = await hopscope(['analyze', file, '--context', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--kubeconfig, --context and --namespace go with --cluster');
  });
});
