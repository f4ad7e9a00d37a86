import { afterAll, describe, expect, it } from 'vitest';
import { CoreV1Api, makeInformer, type V1Pod } from '@kubernetes/client-node';
import { FakeApiServer, pod } from './api-server';
import { kubeConfig, rawGet } from './client';

let s: FakeApiServer;
afterAll(() => s?.close());

// Separate from the behaviour tests: it is a measurement for the collector's 5,000-pod budget, not a check.
describe('scale', () => {
  it('holds 5,000 pods and serves them (measured, not asserted)', async () => {
    s = await FakeApiServer.start({ historySize: 10_000 });
    s.allow('admin', { verbs: ['get', 'list', 'watch'], resources: ['*'] });
    const heapBefore = process.memoryUsage().heapUsed;
    let t = performance.now();
    const pods = Array.from({ length: 5000 }, (_, i) => pod({ name: `load-${i}`, namespace: `team-${i % 10}`, nodeName: `node-${i % 50}`, labels: { app: `svc-${i % 100}` } }));
    const buildMs = performance.now() - t;
    t = performance.now();
    for (const p of pods) s.create(p);
    const createMs = performance.now() - t;
    const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;

    const auth = { authorization: `Bearer ${s.tokenUser('admin').token}` };
    t = performance.now();
    const raw = await rawGet(s, '/api/v1/pods', auth);
    const rawMs = performance.now() - t;
    expect(JSON.parse(raw.body).items).toHaveLength(5000);
    const full = s.requests.at(-1)!;
    await rawGet(s, '/api/v1/pods', auth);
    const warm = s.requests.at(-1)!;

    let pages = 0;
    let pagedServerMs = 0;
    let token = '';
    do {
      const page = JSON.parse((await rawGet(s, `/api/v1/pods?limit=500${token ? `&continue=${token}` : ''}`, auth)).body);
      pagedServerMs += s.requests.at(-1)!.ms!;
      token = page.metadata.continue ?? '';
      pages++;
    } while (token);

    const kc = kubeConfig(s, s.tokenUser('admin'));
    const core = kc.makeApiClient(CoreV1Api);
    t = performance.now();
    const informer = makeInformer<V1Pod>(kc, '/api/v1/pods', () => core.listPodForAllNamespaces());
    await informer.start();
    await informer.stop();
    const informerSyncMs = performance.now() - t;
    expect(informer.list()).toHaveLength(5000);

    const report = {
      pods: 5000,
      buildMs: Math.round(buildMs),
      storeCreateMs: Math.round(createMs),
      storeHeapMb: Math.round(heapMb),
      listAllBytes: full.bytes,
      avgPodBytes: Math.round(full.bytes! / 5000),
      listAllServerMs: Math.round(full.ms!),
      listAllServerWarmMs: Math.round(warm.ms!),
      listAllRoundTripMs: Math.round(rawMs),
      paged500ServerMs: Math.round(pagedServerMs),
      pages,
      clientNodeInformerSyncMs: Math.round(informerSyncMs),
    };
    console.info(`fake api server scale: ${JSON.stringify(report)}`);
  });
});
