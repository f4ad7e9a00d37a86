// Retention set from the UI (POST /api/retention): applied to the running store, kept beside the database for the
// next start, overridden there by serve's flags; a body that cannot be limits is refused naming the field.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { startCollector, type RunningCollector } from './collector';
import { loadRetentionSetting } from './retention-setting';
import { tempDir } from './store/testing';

let tmp: ReturnType<typeof tempDir>;
const running: RunningCollector[] = [];

beforeEach(() => {
  tmp = tempDir();
});

afterEach(async () => {
  for (const c of running.splice(0)) await c.close();
  tmp.remove();
});

async function start(retention?: { maxBytes?: number; maxAgeMs?: number }): Promise<RunningCollector> {
  const c = await startCollector({ dbPath: tmp.file('hopscope.db'), host: '127.0.0.1', grpcPort: 0, httpPort: 0, analysis: false, retention, ui: { port: 0 } });
  running.push(c);
  return c;
}

function setRetention(c: RunningCollector, body: unknown): Promise<Response> {
  return fetch(`${c.ui!.origin}/api/retention`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${c.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('retention from the storage settings', () => {
  it('applies to the running store, is kept for the next start, and serve’s flags win over it', async () => {
    const first = await start();
    const res = await setRetention(first, { maxBytes: 64 * 2 ** 20, maxAgeMs: 3 * 86_400_000 });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ maxBytes: 64 * 2 ** 20, maxAgeMs: 3 * 86_400_000, settable: true });
    expect(await first.store.retention()).toMatchObject({ maxBytes: 64 * 2 ** 20, maxAgeMs: 3 * 86_400_000 });
    expect(loadRetentionSetting(path.dirname(tmp.file('hopscope.db')))).toEqual({ maxBytes: 64 * 2 ** 20, maxAgeMs: 3 * 86_400_000 });
    await running.pop()!.close();

    const again = await start();
    expect(await again.store.retention()).toMatchObject({ maxBytes: 64 * 2 ** 20, maxAgeMs: 3 * 86_400_000 });
    await running.pop()!.close();

    const flagged = await start({ maxBytes: 32 * 2 ** 20 });
    expect(await flagged.store.retention()).toMatchObject({ maxBytes: 32 * 2 ** 20, maxAgeMs: 3 * 86_400_000 });
  });

  it('refuses limits too small to keep anything, or not numbers, naming the field and changing nothing', async () => {
    const c = await start();
    const before = await c.store.retention();
    for (const [body, message] of [
      [{ maxBytes: 2 ** 20, maxAgeMs: 86_400_000 }, 'maxBytes 1048576 is too small: at least 10 MiB'],
      [{ maxBytes: 2 ** 30, maxAgeMs: 1000 }, 'maxAgeMs 1000 is too small: at least 1 minute'],
      [{ maxBytes: '1GiB', maxAgeMs: 86_400_000 }, 'maxBytes must be a whole number'],
      [{ maxBytes: 2 ** 30 }, 'maxAgeMs must be a whole number'],
    ] as const) {
      const res = await setRetention(c, body);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: message });
    }
    expect(await c.store.retention()).toEqual(before);
    expect(loadRetentionSetting(path.dirname(tmp.file('hopscope.db')))).toEqual({});
  });
});
