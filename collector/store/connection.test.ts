import { createRequire } from 'node:module';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openConnection } from './connection';
import { tempDir } from './testing';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => {
  delete (process.versions as Record<string, string>).electron;
  delete process.env.HOPSCOPE_SQLITE_BINDING;
  tmp.remove();
});

function pretendElectron(): void {
  Object.defineProperty(process.versions, 'electron', { value: '45.0.0', configurable: true, enumerable: true });
}

describe('native binding', () => {
  it('under Electron loads the Electron build from dist/electron-native unless told otherwise', () => {
    pretendElectron();
    expect(() => openConnection(tmp.file('a.db'), 'writer')).toThrow(/dist\/electron-native\/better_sqlite3\.node/);
  });

  it('under Electron loads the binding named by HOPSCOPE_SQLITE_BINDING', () => {
    pretendElectron();
    const nodeBuild = path.join(path.dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')), 'build/Release/better_sqlite3.node');
    process.env.HOPSCOPE_SQLITE_BINDING = nodeBuild;
    const db = openConnection(tmp.file('b.db'), 'writer');
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    process.env.HOPSCOPE_SQLITE_BINDING = tmp.file('missing.node');
    expect(() => openConnection(tmp.file('c.db'), 'writer')).toThrow(/missing\.node/);
  });

  it('under Node uses the binding npm built', () => {
    process.env.HOPSCOPE_SQLITE_BINDING = tmp.file('ignored.node');
    const db = openConnection(tmp.file('d.db'), 'writer');
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    db.close();
  });
});
