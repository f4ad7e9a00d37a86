// What watching a 5,000-pod cluster costs `hopscope serve`: the time to list and record it, serve's resident
// memory against a serve that watches nothing (same run, same machine), and linking spans against the
// recorded history. The API server is the tests' FakeApiServer, in this process, on loopback.
// Run alone with `npx tsx bench/cluster.ts`.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ClusterHistory, linkKeys } from '../collector/analysis/cluster-links';
import { openStore } from '../collector/store';
import { deploymentWithPods, event, FakeApiServer, node } from '../test/kube/api-server';
import { residentMemory, startServe } from './ingest';
import { median } from './stats';

const PODS = 5000;
// 2 Events per pod are listed and recorded too.
const DEPLOYMENTS = 100;
const SETTLE_MS = 3000;

export interface ClusterBench {
  pods: number;
  syncMs: number;
  /** serve's CPU time (all threads) from its start until the pods are recorded; undefined without /proc. Steadier than syncMs on a busy machine. */
  syncCpuS: number | undefined;
  /** VmRSS of serve once the cluster is recorded and it has settled, and of a serve watching nothing. */
  rssWatching: number;
  rssIdle: number;
  peakWatching: number;
  historyBuildMs: number;
  /** Linking one span as the API does: read the history around it from the store, link, relate. */
  aroundMs: number;
}

/** User + system CPU seconds of all the process's threads, from /proc (USER_HZ ticks, 100 a second on Linux). */
function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesized command name: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
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
      for (const p of pods) {
        podNames.push({ namespace, name: p.metadata.name });
        // Events are most of what a busy cluster writes: two per pod
        for (const reason of ['Scheduled', 'Started']) server.create(event({ involved: p, reason, message: `${reason} ${p.metadata.name}` }));
      }
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
    const syncCpuS = cpuSeconds(serve.pid);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const memory = residentMemory(serve.pid);
    await serve.stop();
    if (rssIdle === undefined || memory === undefined) return undefined;

    const store = openStore({ path: db });
    const [cluster] = store.reader.clusters();
    const builds: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      new ClusterHistory(store.reader.clusterHistory(cluster));
      builds.push(performance.now() - t);
    }
    const now = Date.now();
    const arounds: number[] = [];
    for (let i = 0; i < 200; i++) {
      const pod = podNames[(i * 37) % podNames.length];
      const attributes = { 'k8s.namespace.name': pod.namespace, 'k8s.pod.name': pod.name };
      const t = performance.now();
      const history = new ClusterHistory(store.reader.clusterHistoryAround(cluster, linkKeys(attributes)));
      const link = history.linkResource(attributes, now);
      if (!link || history.objectsFor(link, now).length < 4) throw new Error(`pod ${pod.name} was not linked with its owners and events`);
      arounds.push(performance.now() - t);
    }
    await store.close();

    const result: ClusterBench = { pods: PODS, syncMs, syncCpuS, rssWatching: memory.rss, rssIdle, peakWatching: memory.peak, historyBuildMs: median(builds), aroundMs: median(arounds) };
    console.log(
      `cluster: ${PODS} pods in ${DEPLOYMENTS} deployments over 50 nodes listed and recorded by serve in ${(syncMs / 1000).toFixed(1)} s` +
        `${syncCpuS === undefined ? '' : ` (${syncCpuS.toFixed(1)} CPU-s, start-up included)`}; ` +
        `serve RSS ${(memory.rss / 1e6).toFixed(0)} MB watching vs ${(rssIdle / 1e6).toFixed(0)} MB watching nothing (peak ${(memory.peak / 1e6).toFixed(0)} MB); ` +
        `whole history read and indexed in ${result.historyBuildMs.toFixed(0)} ms (analyze --cluster; median of 5); ` +
        `one span linked as the API does, from the history around it: ${result.aroundMs.toFixed(1)} ms (median of 200)`,
    );
    return result;
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchCluster();
