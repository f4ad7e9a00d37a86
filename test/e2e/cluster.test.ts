// End-to-end: the Cluster view in Chromium against `serve` (startCollector) and the test Kubernetes API server
// through the real client-node. From no kubeconfig, to one written while the page is open, to connecting,
// the workloads with their pods and findings, a pod's panel, the findings it links to, a switch to a user whose
// Role refuses a namespace, and disconnecting. Screenshots in light and dark: cluster-view-*.png.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { cronJob, deploymentWithPods, FakeApiServer, job, node, pod, podsFor, statefulSet, type KubeObject } from '../kube/api-server';
import { browserSession, newPage, screenshot, startServe, type Hopscope, type Theme } from './harness';
import { AppShell } from './pages/app';
import { ClusterPage } from './pages/cluster';
import { FindingsPage } from './pages/findings';
import { ObjectChipsPart } from './pages/objects';
import { TracesPage } from './pages/traces';

let hopscope: Hopscope | undefined;
let kube: FakeApiServer | undefined;
let home: string | undefined;
const session = browserSession(async () => {
  await hopscope?.close();
  await kube?.close();
  if (home) rmSync(home, { recursive: true, force: true });
  hopscope = kube = home = undefined;
});

/** A small shop: a Deployment with a crash-looping pod, one rolling a pod out, a StatefulSet, a CronJob's finished run, a bare pod, and a payments namespace. */
function populate(server: FakeApiServer): { checkout: KubeObject[] } {
  for (const name of ['node-1', 'node-2', 'node-3']) server.create(node({ name }));
  const checkout = deploymentWithPods({ name: 'checkout', namespace: 'shop', replicas: 3, readyReplicas: 2 });
  const crashing = pod({
    name: checkout.pods[2].metadata.name,
    owner: checkout.replicaSet,
    labels: checkout.pods[2].metadata.labels,
    nodeName: 'node-3',
    containers: [{ name: 'app', state: 'waiting', waitingReason: 'CrashLoopBackOff', restartCount: 5, ready: false, lastTermination: { reason: 'Error', exitCode: 2 } }],
  });
  const cart = deploymentWithPods({ name: 'cart', namespace: 'shop', replicas: 2 });
  const postgres = statefulSet({ name: 'postgres', namespace: 'shop', replicas: 1 });
  const payments = deploymentWithPods({ name: 'payments-api', namespace: 'payments', replicas: 2 });
  const report = cronJob({ name: 'nightly-report', namespace: 'ops' });
  const run = job({ cronJob: report, scheduledAt: new Date(Date.now() - 3_600_000) });
  const objects = [
    checkout.deployment,
    checkout.replicaSet,
    checkout.pods[0],
    checkout.pods[1],
    crashing,
    cart.deployment,
    cart.replicaSet,
    ...cart.pods,
    postgres,
    ...podsFor(postgres, 1),
    payments.deployment,
    payments.replicaSet,
    ...payments.pods,
    report,
    run,
    pod({ name: `${run.metadata.name}-q7x2k`, owner: run, phase: 'Succeeded', labels: { 'job-name': run.metadata.name } }),
    pod({ name: 'debug-shell', namespace: 'default', containers: [{ name: 'shell', image: 'busybox:1.36' }] }),
  ];
  for (const o of objects) server.create(o);
  // One cart pod is being replaced: told to stop, still within its grace period.
  server.delete('Pod', 'shop', cart.pods[1].metadata.name, { graceSeconds: 600 });
  return { checkout: [checkout.pods[0], checkout.pods[1], crashing] };
}

/** A server span in a pod whose parent never arrives: a broken-parent finding about that pod. */
async function sendOrphan(otlpHttp: string, podName: string, operation: string, seed: number): Promise<void> {
  const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0');
  const now = BigInt(Date.now()) * 1_000_000n;
  const attribute = (key: string, value: string) => ({ key, value: { stringValue: value } });
  const body = {
    resourceSpans: [
      {
        resource: { attributes: [attribute('service.name', 'checkout'), attribute('k8s.namespace.name', 'shop'), attribute('k8s.pod.name', podName)] },
        scopeSpans: [
          {
            scope: { name: 'e2e' },
            spans: [{ traceId: hex(0xc1a5 + seed, 32), spanId: hex(seed + 1, 16), parentSpanId: hex(0xdead00 + seed, 16), name: operation, kind: 2, startTimeUnixNano: String(now), endTimeUnixNano: String(now + 20_000_000n) }],
          },
        ],
      },
    ],
  };
  const res = await fetch(`${otlpHttp}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
}

/** A trace of a root span (no parent) with these resource attributes, started at `startMs`, and a child in another service. */
async function sendRoot(otlpHttp: string, seed: number, root: { service: string; operation: string; attributes: Record<string, string>; startMs: number }): Promise<string> {
  const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0');
  const start = BigInt(root.startMs) * 1_000_000n;
  const traceId = hex(0x7ace00 + seed, 32);
  const attribute = (key: string, value: string) => ({ key, value: { stringValue: value } });
  const resourceSpans = (attributes: Record<string, string>, spans: object[]) => ({
    resource: { attributes: Object.entries(attributes).map(([k, v]) => attribute(k, v)) },
    scopeSpans: [{ scope: { name: 'e2e' }, spans }],
  });
  const ns = (offsetMs: number) => String(start + BigInt(offsetMs) * 1_000_000n);
  const body = {
    resourceSpans: [
      resourceSpans({ 'service.name': root.service, ...root.attributes }, [{ traceId, spanId: hex(seed * 2 + 1, 16), name: root.operation, kind: 2, startTimeUnixNano: ns(0), endTimeUnixNano: ns(40 + seed * 7) }]),
      resourceSpans({ 'service.name': 'postgres' }, [{ traceId, spanId: hex(seed * 2 + 2, 16), parentSpanId: hex(seed * 2 + 1, 16), name: 'SELECT', kind: 3, startTimeUnixNano: ns(5), endTimeUnixNano: ns(25) }]),
    ],
  };
  const res = await fetch(`${otlpHttp}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return traceId;
}

/** Takes the screenshot in both themes, switching with the top bar's toggle (and letting its colour transitions end). */
async function bothThemes(page: Page, name: string, first: Theme): Promise<void> {
  await screenshot(page, name, first);
  await page.getByTestId('theme-toggle').click();
  await page.waitForTimeout(300);
  await screenshot(page, name, first === 'light' ? 'dark' : 'light');
  await page.getByTestId('theme-toggle').click();
  await page.waitForTimeout(300);
}

describe('cluster view', () => {
  it('connects from the page: no kubeconfig, one written meanwhile, workloads with pods and findings, a pod panel, an RBAC refusal, disconnect', async () => {
    kube = await FakeApiServer.start({ bookmarkIntervalMs: 500 });
    kube.allow('admin', { verbs: ['get', 'list', 'watch'], resources: ['*'] });
    kube.allow('dev', { verbs: ['get', 'list', 'watch'], resources: ['*'], namespaces: ['shop'] });
    const { checkout } = populate(kube);
    home = mkdtempSync(path.join(os.tmpdir(), 'hopscope-e2e-home-'));
    hopscope = await startServe({ settleMs: 1000, windowMs: 2000, cluster: { env: { HOME: home }, connect: false } });

    const { page, errors } = await newPage(session.browser, 'light');
    session.pages.push(page);
    const app = new AppShell(page);
    await app.login(hopscope.ui.url, '#/cluster');
    const view = new ClusterPage(page);

    // Nothing to connect with yet: where Hopscope looked, that it works without a cluster, and how to connect.
    await view.empty().and(page.locator('[data-state="no-kubeconfig"]')).waitFor();
    const empty = await view.empty().innerText();
    expect(empty).toContain('No kubeconfig found');
    expect(empty).toContain(path.join(home, '.kube', 'config'));
    expect(empty).toContain('Hopscope works fully without a cluster');
    expect(empty).toContain('hopscope serve --cluster --context NAME');
    expect(await view.watchStatus().textContent()).toBe('Not connected');
    await bothThemes(page, 'cluster-view-empty', 'light');

    // A kubeconfig written while the page is open is found by itself.
    mkdirSync(path.join(home, '.kube'));
    kube.writeKubeconfig({
      contexts: [
        { name: 'dev', user: kube.tokenUser('dev'), namespace: 'shop' },
        { name: 'admin', user: kube.tokenUser('admin') },
      ],
      currentContext: 'dev',
      file: path.join(home, '.kube', 'config'),
    });
    await view.empty().and(page.locator('[data-state="not-connected"]')).waitFor({ timeout: 10_000 });
    expect((await view.contexts().allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim())).toEqual([`dev current ${kube.url} namespace shop Connect`, `admin ${kube.url} Connect`]);
    await bothThemes(page, 'cluster-view-not-connected', 'light');

    // A namespace list that Kubernetes would refuse is named before anything is sent.
    await page.getByTestId('namespaces-input').fill('shop, Payments');
    expect(await page.locator('#namespaces-invalid').textContent()).toBe('“Payments” is not a namespace name');
    expect(await page.getByTestId('connect-button').isDisabled()).toBe(true);

    await view.connect('admin');
    await expect.poll(() => view.watchStatus().getAttribute('data-health'), { timeout: 15_000 }).toBe('synced');
    await expect.poll(() => view.namespaceNames(), { timeout: 10_000 }).toEqual(['default', 'ops', 'payments', 'shop']);
    await expect.poll(() => view.rowTexts(), { timeout: 10_000 }).toHaveLength(6);
    expect(await view.workloads()).toEqual(['Pod/debug-shell', 'CronJob/nightly-report', 'Deployment/payments-api', 'Deployment/cart', 'Deployment/checkout', 'StatefulSet/postgres']);
    expect(await view.readiness()).toEqual(['Running · Ready', '1 succeeded', '2/2', '2/2', '2/3', '1/1']);
    expect(await view.restarts()).toEqual(['0', '0', '0', '0', '↻ 5', '0']);
    const chips = async (workload: string) => (await view.podChips(workload).allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim()).sort();
    const suffix = (name: string) => name.slice(name.lastIndexOf('-') + 1);
    const [healthy, other, crashing] = checkout.map((p) => p.metadata.name);
    expect(await chips('Deployment/checkout')).toEqual([suffix(healthy), suffix(other), `${suffix(crashing)} CrashLoopBackOff ↻5`].sort());
    expect((await chips('Deployment/cart')).filter((t) => t.endsWith(' terminating'))).toHaveLength(1);
    expect(await chips('StatefulSet/postgres')).toEqual(['0']);
    const crashChip = view.podChips('Deployment/checkout').filter({ hasText: 'CrashLoopBackOff' });
    expect(await crashChip.getAttribute('title')).toBe(`Pod ${crashing}\nCrashLoopBackOff\n5 restarts\non node-3`);

    // Spans from two checkout pods lose their parents: two findings about the Deployment.
    await sendOrphan(hopscope.otlpHttp!, healthy, 'POST /api/checkout', 1);
    await sendOrphan(hopscope.otlpHttp!, other, 'GET /api/orders/{id}', 2);
    await expect.poll(() => view.findingsBadge('Deployment/checkout').textContent(), { timeout: 30_000 }).toBe('2');
    expect(await view.findingsBadge('Deployment/checkout').getAttribute('aria-label')).toBe('2 findings about checkout');
    await bothThemes(page, 'cluster-view-connected', 'light');

    // A pod chip opens the pod as it is now, from the keyboard too; Escape closes it and gives the focus back.
    await crashChip.focus();
    await page.keyboard.press('Enter');
    const objects = view.objects();
    await objects.shown('Pod');
    expect(await objects.panel().locator('.object-panel-name').textContent()).toBe(crashing);
    expect(await objects.fact('Restarts').textContent()).toBe('5');
    expect(await objects.fact('Owned by').innerText()).toBe(`Deployment checkout › ReplicaSet ${checkout[0].metadata.ownerReferences![0].name}`);
    expect(await objects.containers().first().locator('.attr-row', { hasText: 'State' }).locator('dd').textContent()).toBe('waiting: CrashLoopBackOff');
    await bothThemes(page, 'cluster-view-pod', 'light');
    await page.keyboard.press('Escape');
    await expect.poll(() => objects.panel().count()).toBe(0);
    expect(await page.evaluate(`document.activeElement?.getAttribute('data-testid')`)).toBe('pod-chip');

    // The badge opens the Findings view narrowed to the Deployment's findings.
    await view.findingsBadge('Deployment/checkout').click();
    const findings = new FindingsPage(page);
    await expect.poll(() => findings.items().count(), { timeout: 10_000 }).toBe(2);
    expect((await page.getByTestId('finding-filter').innerText()).replace(/\s+/g, ' ')).toBe('About Deployment checkout in shop Show all');
    expect(await findings.objects().texts()).toContainEqual(expect.stringMatching(/^Deployment checkout 2\/3 ready$/));
    await bothThemes(page, 'cluster-view-findings', 'light');

    // Switched to a user whose Role covers shop only: payments and nodes are refused, calmly, and shop is watched.
    await app.tab('Cluster');
    await view.connect('dev', ['shop', 'payments']);
    await expect.poll(() => view.watchStatus().getAttribute('data-health'), { timeout: 15_000 }).toBe('problems');
    await expect.poll(async () => (await view.problems().allInnerTexts()).map((t) => t.split('\n')[0]), { timeout: 10_000 }).toEqual(['Not allowed in namespace payments', 'Not allowed at the cluster scope']);
    expect(await view.problems().first().innerText()).toContain('cannot list pods in namespace payments (forbidden by RBAC)');
    await expect.poll(() => view.namespaceNames(), { timeout: 10_000 }).toEqual(['payments', 'shop']);
    expect(await view.namespaces().first().locator('.ns-stale').textContent()).toBe('cannot read now · last recorded state');
    expect(await view.namespaces().nth(1).locator('.ns-stale').count()).toBe(0);
    expect(await view.watchStatus().textContent()).toMatch(/^\d+ of 11 synced · 11 unreadable|^10 of 21 synced · 11 unreadable$/);
    await bothThemes(page, 'cluster-view-rbac', 'light');

    // The status opens each resource's watch, from the keyboard too.
    await view.watchStatus().focus();
    await page.keyboard.press('Enter');
    const watches = await view.watches();
    expect(watches).toHaveLength(21);
    expect(watches).toContainEqual(expect.stringMatching(/^pods payments forbidden 0 1 —$/));
    expect(watches).toContainEqual(expect.stringMatching(/^pods shop synced 6 0 (just now|\d+s ago)$/));
    await screenshot(page, 'cluster-view-watches', 'light');
    await view.watchStatus().click();

    // Disconnected: what was recorded stays readable, marked as not watched.
    await view.disconnect();
    await expect.poll(() => view.watchStatus().textContent()).toBe('Not connected');
    await view.empty().and(page.locator('[data-state="not-connected"]')).waitFor();
    expect(await page.locator('.workloads-source').innerText()).toContain('not watched now');
    await screenshot(page, 'cluster-view-disconnected', 'light');
    expect(errors).toEqual([]);
  });
});

describe('trace list', () => {
  it('shows the pod each trace’s root span ran in, with its status, and opens it in the object panel', async () => {
    kube = await FakeApiServer.start({ bookmarkIntervalMs: 500 });
    kube.allow('admin', { verbs: ['get', 'list', 'watch'], resources: ['*'] });
    const { checkout } = populate(kube);
    const canary = deploymentWithPods({ name: 'recommendations-engine-canary', namespace: 'shop', replicas: 1 });
    for (const o of [canary.deployment, canary.replicaSet, ...canary.pods]) kube.create(o);
    const cart = kube.store.current('pods').find((p) => p.metadata.name.startsWith('cart-') && p.metadata.deletionTimestamp)!;
    home = mkdtempSync(path.join(os.tmpdir(), 'hopscope-e2e-home-'));
    const { files } = kube.writeKubeconfig({ contexts: [{ name: 'admin', user: kube.tokenUser('admin') }], currentContext: 'admin', file: path.join(home, 'kubeconfig') });
    hopscope = await startServe({ settleMs: 1000, windowMs: 2000, cluster: { kubeconfig: files[0], env: { HOME: home } } });
    const recorded = () => hopscope!.store.reader.clusterHistory(kube!.url).objects.filter((o) => o.kind === 'Pod').length;
    await expect.poll(recorded, { timeout: 15_000 }).toBe(kube.store.current('pods').length);
    // The roots below start up to 500 ms before now, and a chip shows the state seen at its root's start: let the
    // listed states be older than that (the poll above can succeed within milliseconds of the list being recorded).
    await new Promise((r) => setTimeout(r, 800));

    const [healthy, , crashing] = checkout.map((p) => p.metadata.name);
    const long = canary.pods[0];
    const shop = { 'k8s.namespace.name': 'shop' };
    // Newest first, a tenth of a second apart; after the cart pod was told to stop.
    const now = Date.now();
    const ids = {
      healthy: await sendRoot(hopscope.otlpHttp!, 1, { service: 'checkout', operation: 'POST /api/checkout', attributes: { ...shop, 'k8s.pod.name': healthy }, startMs: now - 100 }),
      crashing: await sendRoot(hopscope.otlpHttp!, 2, { service: 'checkout', operation: 'GET /api/orders/{id}', attributes: { ...shop, 'k8s.pod.name': crashing }, startMs: now - 200 }),
      terminating: await sendRoot(hopscope.otlpHttp!, 3, { service: 'cart', operation: 'PUT /api/cart/items', attributes: { 'k8s.pod.uid': cart.metadata.uid! }, startMs: now - 300 }),
      long: await sendRoot(hopscope.otlpHttp!, 4, { service: 'recommendations', operation: 'GET /api/recommendations', attributes: { 'k8s.pod.ip': String(long.status!.podIP) }, startMs: now - 400 }),
      outside: await sendRoot(hopscope.otlpHttp!, 5, { service: 'frontend', operation: 'GET /', attributes: { 'host.name': 'laptop' }, startMs: now - 500 }),
    };

    const { page, errors } = await newPage(session.browser, 'light');
    session.pages.push(page);
    await new AppShell(page).login(hopscope.ui.url, '#/traces');
    const traces = new TracesPage(page);
    await expect.poll(() => traces.traceIds(), { timeout: 10_000 }).toEqual(Object.values(ids));
    await traces.podChip(ids.healthy).waitFor();
    const text = async (id: string) => (await traces.podChip(id).innerText()).replace(/\s+/g, ' ').trim();
    expect(await text(ids.healthy)).toBe(healthy);
    expect(await traces.podChip(ids.healthy).getAttribute('title')).toBe(`Pod shop/${healthy}\nRunning · Ready\nowned by Deployment checkout\nlinked by k8s.pod.name`);
    expect(await traces.podChip(ids.healthy).locator('.object-dot').getAttribute('aria-label')).toBe('Running · Ready');
    expect(await text(ids.crashing)).toBe(`${crashing} not ready ↻ 5`);
    expect(await text(ids.terminating)).toBe(`${cart.metadata.name} terminating`);
    expect(await text(ids.long)).toBe(long.metadata.name);
    expect(await traces.podChip(ids.long).getAttribute('title')).toContain(`linked by k8s.pod.ip`);
    expect(await traces.podChip(ids.outside).count()).toBe(0);

    // The chip keeps to its column: a long name ends in an ellipsis, and the columns after it stay where they are.
    const box = async (selector: string, id: string) => (await page.locator(`.trace-row-host:has([data-trace-id="${id}"]) ${selector}`).first().boundingBox())!;
    const name = traces.podChip(ids.long).locator('.object-name');
    expect(await name.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
    expect(await page.evaluate(`getComputedStyle(document.querySelector('[data-testid="trace-pod"][data-trace-id="${ids.long}"] .object-name')).textOverflow`)).toBe('ellipsis');
    const servicesX = (await box('.trace-row .cell.services', ids.outside)).x;
    for (const id of Object.values(ids)) {
      const row = await box('.trace-row', id);
      const cell = await box('.trace-row .cell.pod', id);
      const duration = await box('.trace-row .duration-text', id);
      expect((await box('.trace-row .cell.services', id)).x).toBeCloseTo(servicesX, 0);
      expect(duration.x + duration.width).toBeLessThanOrEqual(row.x + row.width);
      if (id === ids.outside) continue;
      const chip = (await traces.podChip(id).boundingBox())!;
      expect(chip.x).toBeGreaterThanOrEqual(cell.x - 0.5);
      expect(chip.x + chip.width).toBeLessThanOrEqual(cell.x + cell.width + 0.5);
      expect(chip.y).toBeGreaterThan(row.y);
      expect(chip.y + chip.height).toBeLessThan(row.y + row.height);
    }
    await bothThemes(page, 'trace-list-pods', 'light');

    // The chip opens the pod as it was at the trace's start, over the list; Escape closes it and gives the focus back.
    await traces.podChip(ids.crashing).click();
    const objects = new ObjectChipsPart(page, page.getByTestId('trace-list'));
    await objects.shown('Pod');
    expect(await objects.panel().locator('.object-panel-name').textContent()).toBe(crashing);
    expect(await objects.fact('Restarts').textContent()).toBe('5');
    expect(await objects.fact('Owned by').innerText()).toBe(`Deployment checkout › ReplicaSet ${checkout[0].metadata.ownerReferences![0].name}`);
    expect(await traces.podChip(ids.crashing).getAttribute('aria-expanded')).toBe('true');
    await bothThemes(page, 'trace-list-pod-panel', 'light');
    await page.keyboard.press('Escape');
    await expect.poll(() => objects.panel().count()).toBe(0);
    expect(await page.evaluate(`document.activeElement?.closest('[data-testid="trace-pod"]')?.getAttribute('data-trace-id')`)).toBe(ids.crashing);

    // From the keyboard too, and the row itself still opens its trace.
    await traces.podChip(ids.long).focus();
    await page.keyboard.press('Enter');
    await objects.shown('Pod');
    expect(await objects.panel().locator('.object-panel-name').textContent()).toBe(long.metadata.name);
    await page.keyboard.press('Escape');
    await page.locator(`.trace-row-host:has([data-trace-id="${ids.long}"]) .trace-row .root`).click();
    await expect.poll(() => page.evaluate('location.hash')).toContain(ids.long);
    expect(errors).toEqual([]);
  });
});
