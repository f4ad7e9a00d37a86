// The cluster detectors in `serve`: settled traces are judged against the history the store recorded around
// their spans, and ready-but-failing per window over the lookback before it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveAnalysis } from '../collector/live-analysis';
import { openStore } from '../collector/store';
import { tempDir } from '../collector/store/testing';
import type { StoredFinding, Store } from '../collector/store/types';
import { seedClusterFindings, type SeededClusterFindings } from './cluster-findings';

let store: Store;
let seeded: SeededClusterFindings;
const dir = tempDir();

beforeAll(async () => {
  store = openStore({ path: dir.file('live.db') });
  seeded = await seedClusterFindings(store, Date.now() - 600_000);
});

afterAll(async () => {
  await store?.close();
  dir.remove();
});

describe('cluster detectors in serve', () => {
  it('judges settled traces against the recorded history, and ready-but-failing per window', async () => {
    const analysis = startLiveAnalysis(store, { paused: true, settleMs: 0 });
    while ((await analysis.tick()) > 0);
    while ((await analysis.evaluateWindows()) > 0);
    await analysis.stop();
    const findings = store.reader.findings();
    const of = (kind: string): StoredFinding[] => findings.filter((f) => f.kind === kind);

    const [restart, ...moreRestarts] = of('restart-during-trace');
    expect(moreRestarts).toEqual([]);
    expect(restart).toMatchObject({ subkind: 'oom-killed', service: 'web', count: 1, occurrences: [seeded.restartCall] });
    expect(restart.evidence).toMatchObject({ pod: 'api-7f9c4-x2', reason: 'OOMKilled', exitCode: 137, events: ['Warning BackOff (×2): Back-off restarting failed container app in pod api-7f9c4-x2'] });
    expect((restart.evidence.lastLogs as { body: string }[]).map((l) => l.body)).toEqual(['panic: runtime error: invalid memory address or nil pointer dereference', 'loading price rules from /etc/api/rules.yaml']);

    const [stale, ...moreStale] = of('stale-peer-address');
    expect(moreStale).toEqual([]);
    expect(stale).toMatchObject({ subkind: 'no-pod', service: 'web', count: 1, occurrences: [seeded.staleCall], evidence: { pod: 'api-old', calledAfterMs: 20_000 } });

    const ready = of('ready-but-failing');
    expect(ready.reduce((n, f) => n + f.count, 0)).toBe(seeded.readyFailures);
    expect(ready.every((f) => f.evidence.pod === 'api-7f9c4-x1' && f.service === 'api')).toBe(true);

    const served = of('served-while-terminating');
    expect(Object.fromEntries(served.map((f) => [f.subkind, f.count]))).toEqual({ 'near-miss': 2, failed: 1 });
    expect(served.flatMap((f) => f.occurrences)).toEqual(expect.arrayContaining(seeded.servedAfterDeletion));
  });
});
