import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../errors';
import { openStore } from './index';
import { migrations } from './migrations';
import { APPLICATION_ID, SCHEMA_VERSION } from './schema';
import { span, spanId, tempDir, traceId } from './testing';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.remove());

describe('schema', () => {
  it('marks a new file as Hopscope at the latest version and reopens it with its data', async () => {
    const file = tmp.file('new.db');
    const store = openStore({ path: file });
    await store.write({ spans: [span({ traceId: traceId(1), spanId: spanId(1) })], logs: [] });
    await store.close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    expect(SCHEMA_VERSION).toBe(migrations.length);
    const again = openStore({ path: file });
    expect(again.reader.getTrace(traceId(1))).toHaveLength(1);
    await again.close();
  });

  it('upgrades a version 1 database, queuing the traces it already holds for analysis', async () => {
    const file = tmp.file('v1.db');
    let store = openStore({ path: file });
    await store.write({ spans: [span({ traceId: traceId(1), spanId: spanId(1) })], logs: [] });
    await store.close();
    // Back to version 1: migrations 2 to 6 only added these tables (5 also rebuilt an index, 6 added a column to one dropped here).
    const db = new Database(file);
    db.exec(`DROP TABLE analysis_pending; DROP TABLE findings; DROP TABLE finding_counts; DROP TABLE finding_examples; DROP TABLE stitches;`);
    db.exec(`DROP TABLE k8s_objects; DROP TABLE k8s_states; DROP TABLE k8s_pod_addresses; DROP TABLE k8s_container_ids; DROP TABLE k8s_event_subjects; DROP TABLE k8s_clusters;`);
    db.exec(`DROP TABLE resource_peers;`);
    db.exec(`DROP TABLE attr_docs; DROP TABLE attr_terms; DROP TABLE log_text; DROP TABLE search_progress;`);
    db.pragma('user_version = 1');
    db.close();

    store = openStore({ path: file });
    expect(store.reader.dueTraces(0, 10).map((t) => t.traceId)).toEqual([traceId(1)]);
    expect(store.reader.getTrace(traceId(1))).toHaveLength(1);
    await store.close();
    const upgraded = new Database(file, { readonly: true });
    expect(upgraded.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    upgraded.close();
  });

  it('refuses a database from a newer Hopscope, naming the file and both versions', async () => {
    const file = tmp.file('newer.db');
    await openStore({ path: file }).close();
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 3}`);
    db.close();
    const open = () => openStore({ path: file });
    expect(open).toThrow(InputError);
    expect(open).toThrow(`${file} was written by a newer Hopscope (schema version ${SCHEMA_VERSION + 3}; this one reads up to ${SCHEMA_VERSION})`);
  });

  it('refuses a SQLite database that is not Hopscope’s and leaves it untouched', () => {
    const file = tmp.file('other.db');
    const db = new Database(file);
    db.exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)`);
    db.close();
    expect(() => openStore({ path: file })).toThrow(`${file} is a SQLite database but not a Hopscope one (application_id 0, 1 tables)`);
    const after = new Database(file, { readonly: true });
    expect(after.pragma('journal_mode', { simple: true })).toBe('delete');
    expect(after.pragma('user_version', { simple: true })).toBe(0);
    after.close();
  });

  it('refuses a file that is not SQLite at all', () => {
    const file = tmp.file('trace.json');
    writeFileSync(file, '{"resourceSpans": []}'.repeat(200));
    expect(() => openStore({ path: file })).toThrow(`${file} is not a SQLite database`);
  });
});
