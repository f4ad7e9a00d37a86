import { afterEach, describe, expect, it } from 'vitest';
import { FakeApiServer, pod } from '../../test/kube/api-server';
import { ClusterAccess } from './access';
import { loadKubeconfig } from './kubeconfig';
import { listPaged } from './list';
import { RESOURCES } from './resources';

let s: FakeApiServer | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

async function serverWithPods(count: number): Promise<{ server: FakeApiServer; access: ClusterAccess }> {
  const server = (s = await FakeApiServer.start());
  server.allow('admin', { verbs: ['get', 'list', 'watch'], resources: ['*'] });
  for (let i = 0; i < count; i++) server.create(pod({ name: `p-${String(i).padStart(4, '0')}`, namespace: `ns-${i % 3}` }));
  const { files } = server.writeKubeconfig({ contexts: [{ name: 'test', user: server.tokenUser('admin') }] });
  return { server, access: new ClusterAccess(loadKubeconfig({ kubeconfig: files[0] })) };
}

describe('listPaged', () => {
  it('lists page by page (limit, continue), hands out each page item by item as it arrives, and misses none', async () => {
    const { server, access } = await serverWithPods(1200);
    const rvAtList = String(server.resourceVersion);
    const batches: number[] = [];
    const names: string[] = [];
    let starts = 0;
    const rv = await listPaged(access, RESOURCES.Pod, '', 500, {
      onStart: () => starts++,
      onItems: (items) => {
        batches.push(items.length);
        names.push(...items.map((p) => p.metadata!.name!));
      },
    });

    expect(starts).toBe(1);
    expect(rv).toBe(rvAtList);
    expect(names).toHaveLength(1200);
    expect(new Set(names).size).toBe(1200);
    const lists = server.requests.filter((r) => !r.watch && r.path === '/api/v1/pods');
    expect(lists.map((r) => [r.query.limit, r.query.continue !== undefined])).toEqual([
      ['500', false],
      ['500', true],
      ['500', true],
    ]);
    // A 500-pod page is ~2 MB: it arrives in many reads and is never parsed (nor held) whole.
    expect(batches.length).toBeGreaterThan(lists.length * 10);
    expect(Math.max(...batches)).toBeLessThan(100);
  });

  it('starts over when the continue token expired mid-way, and returns the new list', async () => {
    const { server, access } = await serverWithPods(30);
    const names: string[] = [];
    let starts = 0;
    let pages = 0;
    const rv = await listPaged(access, RESOURCES.Pod, '', 10, {
      onStart: () => {
        starts++;
        names.length = 0;
      },
      onItems: (items) => {
        names.push(...items.map((p) => p.metadata!.name!));
        // After the first page, the snapshot it continues from leaves the server's history.
        if (++pages === 1) server.injectFault({ path: /\/pods$/, watch: false, code: 410, message: 'The provided continue parameter is too old' });
      },
    });
    expect(starts).toBe(2);
    expect(names).toHaveLength(30);
    expect(new Set(names).size).toBe(30);
    expect(rv).toBe(String(server.resourceVersion));
  });
});
