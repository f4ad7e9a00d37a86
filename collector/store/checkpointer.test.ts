import { statSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCheckpointer } from './checkpointer';
import { openConnection, type Db } from './connection';
import { tempDir } from './testing';

let tmp: ReturnType<typeof tempDir>;
let db: Db;
let file: string;

beforeEach(() => {
  tmp = tempDir();
  file = tmp.file('store.db');
  db = openConnection(file, 'writer');
  db.exec(`CREATE TABLE filler (text TEXT NOT NULL)`);
});

afterEach(() => {
  db.close();
  tmp.remove();
});

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return condition();
}

/** ~1 MB in one transaction. */
function commitMegabyte(): void {
  const insert = db.prepare(`INSERT INTO filler (text) VALUES (?)`);
  db.transaction(() => {
    for (let i = 0; i < 1000; i++) insert.run(`${i}`.padEnd(1000, 'x'));
  })();
}

describe('checkpoints in a worker', () => {
  it('leaves a lightly used database to SQLite’s own checkpoints', async () => {
    const checkpointer = startCheckpointer(db, file);
    checkpointer.committed(100);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await checkpointer.stop();
  });

  it('once busy, moves committed pages from the WAL into the database file while the writer only appends', async () => {
    const checkpointer = startCheckpointer(db, file);
    const sizeBefore = statSync(file).size;
    for (let i = 0; i < 3; i++) {
      commitMegabyte();
      checkpointer.committed(1_000_000);
      await new Promise(setImmediate);
    }
    // The writer now checkpoints only past 16 MiB of WAL: the file grows because the worker checkpoints.
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(4096);
    expect(await until(() => statSync(file).size > sizeBefore + 2_500_000, 10_000)).toBe(true);
    await checkpointer.stop();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });
});
