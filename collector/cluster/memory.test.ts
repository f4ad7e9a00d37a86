import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { FakeApiServer, pod } from '../../test/kube/api-server';
import { rawGet } from '../../test/kube/client';
import { ClusterAccess } from './access';
import { loadKubeconfig } from './kubeconfig';
import { ClusterWatcher } from './watch';

let s: FakeApiServer | undefined;
afterAll(() => s?.close());

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heapMb(): { heap: number; rss: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed / 2 ** 20, rss: m.rss / 2 ** 20 };
}

// A measurement for the 5,000-pod budget, printed rather than asserted (heap numbers vary by machine and V8).
describe('memory', () => {
  it('holds 5,000 pods as identities and state digests (measured)', async () => {
    const count = 5000;
    s = await FakeApiServer.start({ historySize: 10_000 });
    s.allow('admin', { verbs: ['get', 'list', 'watch'], resources: ['*'] });
    for (let i = 0; i < count; i++) s.create(pod({ name: `load-${i}`, namespace: `team-${i % 10}`, nodeName: `node-${i % 50}`, labels: { app: `svc-${i % 100}` } }));
    const token = s.tokenUser('admin').token;
    // Fill the fake server's per-object JSON caches first, so the difference below is the watcher's.
    const listed = await rawGet(s, '/api/v1/pods', { authorization: `Bearer ${token}` });
    const wireBytes = listed.body.length;
    const { files } = s.writeKubeconfig({ contexts: [{ name: 'test', user: { kind: 'token', name: 'admin', token } }] });
    const access = new ClusterAccess(loadKubeconfig({ kubeconfig: files[0] }));

    let received = 0;
    let stateBytes = 0;
    const watcher = new ClusterWatcher(access, {
      kinds: ['Pod'],
      onChanges: (batch) => {
        const states = batch.filter((c) => c.state !== undefined);
        received += states.length;
        for (const c of states) stateBytes += JSON.stringify(c.state).length;
      },
    });
    const before = heapMb();
    const started = performance.now();
    watcher.start();
    await vi.waitFor(() => expect(watcher.status()[0]).toMatchObject({ state: 'synced', objects: count }), { timeout: 20_000, interval: 50 });
    const syncMs = performance.now() - started;
    const after = heapMb();
    await watcher.stop();

    expect(received).toBe(count);
    const report = {
      pods: count,
      syncMs: Math.round(syncMs),
      wireBytesPerPod: Math.round(wireBytes / count),
      stateJsonBytesPerPod: Math.round(stateBytes / count),
      cacheHeapMb: Number((after.heap - before.heap).toFixed(1)),
      heapBytesPerPod: Math.round(((after.heap - before.heap) * 2 ** 20) / count),
      rssDeltaMb: Number((after.rss - before.rss).toFixed(1)),
    };
    console.info(`cluster watcher memory: ${JSON.stringify(report)}`);
  });
});
