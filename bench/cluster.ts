// What watching a 5,000-pod cluster costs `hopscope serve`: the time to list and record it, serve's resident
// memory against a serve that watches nothing (same run, same machine), and linking spans against the
// recorded history. The API server is the tests' FakeApiServer, in this process, on loopback.
// Run alone with `npx tsx bench/cluster.ts`.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ClusterHistory } from '../collector/analysis/cluster-links';
import { openStore } from '../collector/store';
import { deploymentWithPods, FakeApiServer, node } from '../test/kube/api-server';
import { residentMemory, startServe } from './ingest';
import { median } from './stats';

const PODS = 5000;
const DEPLOYMENTS = 100;
const SETTLE_MS = 3000;

export interface ClusterBench {
  pods: number;
  syncMs: number;
  /** VmRSS of serve once the cluster is recorded and it has settled, and of a serve watching nothing. */
  rssWatching: number;
  rssIdle: number;
  peakWatching: number;
  historyBuildMs: number;
  linksPerSecond: number;
}

export async function benchCluster(): Promise<ClusterBench | undefined> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hopscope-bench-cluster-'));
  const server = await FakeApiServer.start({ historySize: 20_000 });
  try {
    server.allow('admin', { verbs: ['get', 'list', 'watch'], resources: ['*'] });
    const nodes = Array.from({ length: 50 }, (_, i) => `node-${i}`);
    for (const name of nodes) server.create(node({ name }));
    const podNames: { namespace: string; name: string }[] = [];
    for (let d = 0; d < DEPLOYMENTS; d++) {
      const namespace = `team-${d % 10}`;
      const { deployment, replicaSet, pods } = deploymentWithPods({ name: `svc-${d}`, namespace, replicas: PODS / DEPLOYMENTS, nodeNames: nodes });
      for (const o of [deployment, replicaSet, ...pods]) server.create(o);
      for (const p of pods) podNames.push({ namespace, name: p.metadata.name });
    }
    const { files } = server.writeKubeconfig({ contexts: [{ name: 'bench', user: server.tokenUser('admin') }], file: path.join(dir, 'kubeconfig.yaml') });

    const idleDb = path.join(dir, 'idle.db');
    const idle = await startServe(idleDb, false);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const rssIdle = residentMemory(idle.pid)?.rss;
    await idle.stop();

    const db = path.join(dir, 'cluster.db');
    const started = performance.now();
    const serve = await startServe(db, false, ['--cluster', '--kubeconfig', files[0]]);
    const count = () => {
      const reader = new Database(db, { readonly: true });
      try {
        return (reader.prepare(`SELECT count(*) AS n FROM k8s_objects WHERE kind = 'Pod'`).get() as { n: number }).n;
      } catch {
        return 0;
      } finally {
        reader.close();
      }
    };
    while (count() < PODS) {
      if (performance.now() - started > 120_000) throw new Error(`serve recorded ${count()} of ${PODS} pods in 120 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const syncMs = performance.now() - started;
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const memory = residentMemory(serve.pid);
    await serve.stop();
    if (rssIdle === undefined || memory === undefined) return undefined;

    const store = openStore({ path: db });
    const [cluster] = store.reader.clusters();
    const builds: number[] = [];
    let history: ClusterHistory | undefined;
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      history = new ClusterHistory(store.reader.clusterHistory(cluster));
      builds.push(performance.now() - t);
    }
    await store.close();
    const now = Date.now();
    const t = performance.now();
    let linked = 0;
    for (let i = 0; i < 20_000; i++) {
      const pod = podNames[i % podNames.length];
      const link = history!.linkResource({ 'k8s.namespace.name': pod.namespace, 'k8s.pod.name': pod.name }, now);
      if (link && history!.objectsFor(link, now).length > 0) linked++;
    }
    const linksPerSecond = linked / ((performance.now() - t) / 1000);

    const result: ClusterBench = { pods: PODS, syncMs, rssWatching: memory.rss, rssIdle, peakWatching: memory.peak, historyBuildMs: median(builds), linksPerSecond };
    console.log(
      `cluster: ${PODS} pods in ${DEPLOYMENTS} deployments over 50 nodes listed and recorded by serve in ${(syncMs / 1000).toFixed(1)} s; ` +
        `serve RSS ${(memory.rss / 1e6).toFixed(0)} MB watching vs ${(rssIdle / 1e6).toFixed(0)} MB watching nothing (peak ${(memory.peak / 1e6).toFixed(0)} MB); ` +
        `history of the store read and indexed in ${result.historyBuildMs.toFixed(0)} ms (median of 5); ${Math.round(linksPerSecond / 1000)}k span links/s with related objects`,
    );
    return result;
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchCluster();
