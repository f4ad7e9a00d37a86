// The four cluster findings as a user meets them: each with its title, the objects it is about as chips (the
// pod its evidence names first), and evidence a person can check (a dying instance's last log lines as a log).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveAnalysis } from '../../collector/live-analysis';
import { evidenceLabel } from '../../renderer/src/model/format';
import { seedClusterFindings } from '../cluster-findings';
import { browserSession, newPage, screenshot, startHopscope, type Hopscope, type Theme } from './harness';
import { AppShell } from './pages/app';
import { FindingsPage } from './pages/findings';

// one Hopscope for every case (what they read is seeded once); each case's page is closed after it
let hopscope: Hopscope;
const session = browserSession(async () => undefined);

beforeAll(async () => {
  // what serve's API reads: the findings the live analysis recorded in the store
  hopscope = await startHopscope({ analysis: { findings: () => ({ findings: hopscope.store.reader.findings(), stitches: hopscope.store.reader.stitches() }) } });
  await seedClusterFindings(hopscope.store, Date.now() - 600_000);
  const analysis = startLiveAnalysis(hopscope.store, { paused: true, settleMs: 0 });
  while ((await analysis.tick()) > 0);
  while ((await analysis.evaluateWindows()) > 0);
  await analysis.stop();
}, 60_000);

afterAll(async () => {
  await hopscope?.close();
});

const cases = [
  { kind: 'restart-during-trace', pod: 'api-7f9c4-x2', shot: 'finding-restart-during-trace' },
  { kind: 'stale-peer-address', pod: 'api-old', shot: 'finding-stale-peer-address' },
  { kind: 'ready-but-failing', pod: 'api-7f9c4-x1', shot: 'finding-ready-but-failing' },
  { kind: 'served-while-terminating', pod: 'cart-5d8b6-z1', shot: 'finding-served-while-terminating' },
];

describe('cluster findings', () => {
  it.each((['light', 'dark'] as Theme[]).flatMap((theme) => cases.map((c) => ({ ...c, theme }))))('shows $kind with its pod and evidence ($theme)', async ({ kind, pod, shot, theme }) => {
    const { page, errors } = await newPage(session.browser, theme);
    session.pages.push(page);
    const app = new AppShell(page);
    await app.login(hopscope.ui.url, '#/findings');
    const view = new FindingsPage(page);
    const stored = hopscope.store.reader.findings().filter((f) => f.kind === kind)[0];
    expect(stored, kind).toBeDefined();
    await view.items().filter({ hasText: kind }).first().click();
    const detail = view.detail();
    await expect.poll(() => detail.locator('h2').textContent()).toBe(stored.title.replace(/`/g, ''));
    // the pod the finding is about comes first among its objects, whatever span the occurrence is on
    const chips = await view.objects().texts();
    expect(chips[0]).toContain(pod);
    const labels = await detail.locator('dt').allTextContents();
    for (const key of Object.keys(stored.evidence).filter((k) => !k.endsWith('Uid'))) expect(labels).toContain(evidenceLabel(key));
    if (kind === 'restart-during-trace') {
      const lines = detail.getByTestId('evidence-log').locator('.evidence-log-line');
      expect(await lines.first().textContent()).toContain('panic: runtime error');
      expect(await lines.first().getAttribute('class')).toContain('panic');
    }
    await screenshot(page, shot, theme);
    expect(errors).toEqual([]);
  });
});
