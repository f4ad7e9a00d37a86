// Search indexes, filled behind ingest. Attribute terms (attr_terms) and log text (log_text) are FTS5 tables:
// their writes go to append-only segments merged in the background, where a b-tree keyed by attribute value
// takes a random page for nearly every posting (measured on 200k realistic spans: 124 B/span as a b-tree of
// value hashes and 201 B/span with the values' text, against 32 B/span here with one document per trace and step).
//
// Indexing runs on the writer connection in steps of a few thousand spans and logs while the writer has time to
// spare (ingest keeps its pace; bench/ingest.ts), or once what is not indexed reaches MAX_LAG items. The
// ids indexed so far are in search_progress; searches scan what arrived after them, so a search never misses
// what is stored, however far behind the index is.
//
// Terms. An attribute gives two: its key, and its key with its value, each as hex so that any text is one token
// (unicode61 keeps letters and digits together): KEYHEX and KEYHEX 'g' VALUEHEX. Values are strings (their first
// VALUE_CHARS characters), integers as decimal text, true and false; every other value (doubles, int64 beyond
// 2^53, bytes, arrays, maps, null) gives KEYHEX 'gz', and a search for such a value checks the candidates' JSON.
// Hex keeps the value's bytes in order, so a string prefix is a term prefix.
import { prepared, type Db } from './connection';

/** Characters of a value that its term holds; a longer value is found through its first ones and then checked. */
export const VALUE_CHARS = 48;
/** Characters of a key that its term holds. */
export const KEY_CHARS = 64;
/** Spans (and logs) per indexing step: a step is one transaction of about a hundred milliseconds. */
const STEP_ITEMS = 4000;
/** A step between commits, while the writer has time to spare: about 12 ms, the most a write then waits. */
const SPARE_STEP_ITEMS = 500;
/**
 * The writer has time to spare when it spent less than this share of the last second committing, or when it
 * has committed nothing for IDLE_MS. A client writing batch after batch (an import, a benchmark) keeps it above.
 */
const SPARE_LOAD = 0.2;
const IDLE_MS = 200;
/**
 * What is not yet indexed, in spans + logs, at which indexing runs even while writes are waiting. Indexing costs
 * about as much writer time as storing (FTS5 inserts, measured ~25 µs a span against ~15), so a burst of up to
 * this many is stored at full speed and indexed once the writer is quiet; only a longer one shares the writer.
 */
export const MAX_LAG = 500_000;
/** How long indexing waits after a commit, and between looks while the writer is busy. */
const QUIET_MS = 50;

const hexOf = (text: string) => Buffer.from(text, 'utf8').toString('hex');
/** The first `n` characters as SQLite's substr counts them (code points). */
function firstChars(text: string, n: number): string {
  if (text.length <= n) return text;
  return Array.from(text).slice(0, n).join('');
}
const charCount = (text: string) => (text.length <= VALUE_CHARS ? text.length : Array.from(text).length);

/** The term every attribute with this key gives. */
export function keyTerm(key: string): string {
  return hexOf(firstChars(key, KEY_CHARS));
}

/** The term (lower case, as the index holds it) of `key` with this value text as a string, integer or boolean. */
export function valueTerm(key: string, value: string): string {
  return `${keyTerm(key)}g${hexOf(firstChars(value, VALUE_CHARS))}`;
}

/** The term of values that are not indexed by their text (doubles, maps, arrays, bytes, big integers, null). */
export function otherValuesTerm(key: string): string {
  return `${keyTerm(key)}gz`;
}

/** Whether terms alone decide a match of `key` (no check of the JSON needed). */
export function keyIsWhole(key: string): boolean {
  return Array.from(key).length <= KEY_CHARS;
}

/** Whether a value of this text is held whole by its term. */
export function valueIsWhole(value: string): boolean {
  return charCount(value) <= VALUE_CHARS;
}

// Terms are made here rather than in SQL: hex() and substr() on every attribute cost about 10 µs a span in SQL,
// where keys and common values repeat and their hex is kept (bench/search.ts prints indexing's rate).
const HEX_KEPT = 50_000;
const keyHex = new Map<string, string>();
const valueHex = new Map<string, string>();

function cachedHex(cache: Map<string, string>, text: string, chars: number): string {
  let hex = cache.get(text);
  if (hex === undefined) {
    hex = hexOf(firstChars(text, chars));
    if (cache.size >= HEX_KEPT) cache.clear();
    cache.set(text, hex);
  }
  return hex;
}

/** Adds both terms of each attribute in `json` (the stored attribute JSON) to `into`. */
function addTerms(json: string, into: Set<string>): void {
  const attrs = JSON.parse(json) as Record<string, unknown>;
  for (const key in attrs) {
    const k = cachedHex(keyHex, key, KEY_CHARS);
    into.add(k);
    const v = attrs[key];
    let value: string;
    if (typeof v === 'string') value = cachedHex(valueHex, v, VALUE_CHARS);
    else if (typeof v === 'number' && Number.isInteger(v)) value = hexOf(String(v));
    else if (typeof v === 'boolean') value = v ? '74727565' : '66616c7365';
    else value = 'z';
    into.add(`${k}g${value}`);
  }
}

const rowsSql = (table: 'spans' | 'logs') => `SELECT trace_key, resource_id, attributes FROM ${table} WHERE id > ? AND id <= ? AND trace_key IS NOT NULL`;
/** Resources are never changed once stored, so their terms are kept (up to this many). */
const RESOURCE_TERMS_KEPT = 10_000;
const resourceTerms = new WeakMap<Db, Map<bigint, string[]>>();

function termsOfResource(db: Db, id: bigint): string[] {
  let kept = resourceTerms.get(db);
  if (!kept) resourceTerms.set(db, (kept = new Map()));
  let terms = kept.get(id);
  if (terms === undefined) {
    const set = new Set<string>();
    const row = prepared<[bigint], { attributes: string }>(db, `SELECT attributes FROM resources WHERE id = ?`).get(id);
    if (row) addTerms(row.attributes, set);
    terms = [...set];
    if (kept.size >= RESOURCE_TERMS_KEPT) kept.clear();
    kept.set(id, terms);
  }
  return terms;
}

/** One attribute document per trace among the rows (spans or logs) with ids in (from, to]: its terms, each once. */
function indexTerms(db: Db, table: 'spans' | 'logs', from: number, to: number): void {
  const rows = prepared<[number, number], { trace_key: bigint; resource_id: bigint; attributes: string }>(db, rowsSql(table)).all(from, to);
  const docs = new Map<bigint, { terms: Set<string>; resources: Set<bigint> }>();
  for (const r of rows) {
    let doc = docs.get(r.trace_key);
    if (!doc) docs.set(r.trace_key, (doc = { terms: new Set(), resources: new Set() }));
    addTerms(r.attributes, doc.terms);
    if (!doc.resources.has(r.resource_id)) {
      doc.resources.add(r.resource_id);
      for (const t of termsOfResource(db, r.resource_id)) doc.terms.add(t);
    }
  }
  // Not INSERT … RETURNING: a statement that opens a savepoint makes FTS5 write out the terms it holds in memory,
  // a segment per document (measured: 16 ms a document once the index held 250k spans, against 0.1 ms).
  const addDoc = prepared<[bigint]>(db, `INSERT INTO attr_docs (trace_key) VALUES (?)`);
  const addDocTerms = prepared(db, `INSERT INTO attr_terms (rowid, terms) VALUES (?, ?)`);
  for (const [traceKey, doc] of docs) addDocTerms.run(addDoc.run(traceKey).lastInsertRowid, [...doc.terms].join(' '));
}

/** The separators log_text's tokenizer keeps inside tokens; `parts` holds the text split at them. */
export const KEPT_SEPARATORS = '-_./:@';
const splitAtSeparators = (expr: string) => [...KEPT_SEPARATORS].reduce((e, c) => `replace(${e}, '${c}', ' ')`, expr);

// A string body as its text, any other body as its JSON.
const LOG_TEXT_SQL = `
  INSERT INTO log_text (rowid, body, parts)
  SELECT id, text, ${splitAtSeparators('text')}
  FROM (SELECT id, CASE WHEN json_type(body) = 'text' THEN body ->> '$' ELSE body END AS text FROM logs WHERE id > @from AND id <= @to)`;

export interface SearchProgress {
  spanId: number;
  logId: number;
}

export function searchProgress(db: Db): SearchProgress {
  const row = prepared<[], { span_id: bigint; log_id: bigint }>(db, `SELECT span_id, log_id FROM search_progress`).get()!;
  return { spanId: Number(row.span_id), logId: Number(row.log_id) };
}

/** Spans and logs stored but not yet indexed. */
export function searchBacklog(db: Db): number {
  const ends = prepared<[], { spans: bigint | null; logs: bigint | null }>(db, `SELECT (SELECT max(id) FROM spans) AS spans, (SELECT max(id) FROM logs) AS logs`).get()!;
  const done = searchProgress(db);
  return Math.max(0, Number(ends.spans ?? 0n) - done.spanId) + Math.max(0, Number(ends.logs ?? 0n) - done.logId);
}

/** Indexes the next spans and logs, at most STEP_ITEMS of each, in one transaction; returns how many rows it covered. */
export function indexStep(db: Db, items = STEP_ITEMS): number {
  return db.transaction(() => {
    const done = searchProgress(db);
    const spans = indexRange(db, 'spans', done.spanId, items);
    const logs = indexRange(db, 'logs', done.logId, items);
    if (spans.to !== done.spanId || logs.to !== done.logId) {
      prepared(db, `UPDATE search_progress SET span_id = ?, log_id = ?`).run(spans.to, logs.to);
    }
    return spans.rows + logs.rows;
  })();
}

function indexRange(db: Db, table: 'spans' | 'logs', from: number, items: number): { to: number; rows: number } {
  // The ids of the next `items` rows (ids have gaps where retention deleted).
  const last = prepared<[number, number], { id: bigint | null; n: bigint }>(
    db,
    `SELECT max(id) AS id, count(*) AS n FROM (SELECT id FROM ${table} WHERE id > ? ORDER BY id LIMIT ?)`,
  ).get(from, items)!;
  if (last.id === null) return { to: from, rows: 0 };
  const range = { from, to: Number(last.id) };
  indexTerms(db, table, range.from, range.to);
  if (table === 'logs') prepared(db, LOG_TEXT_SQL).run(range);
  return { to: range.to, rows: Number(last.n) };
}

/**
 * Removes these traces' attribute documents and their logs' text (before their rows are deleted), in one statement
 * per table: each statement that deletes from an FTS5 table writes out what it holds in memory.
 */
export function forgetTracesTerms(db: Db, traceKeys: readonly bigint[]): void {
  const keys = JSON.stringify(traceKeys.map(String));
  const inKeys = `(SELECT CAST(value AS INTEGER) FROM json_each(?))`;
  prepared(db, `DELETE FROM attr_terms WHERE rowid IN (SELECT id FROM attr_docs WHERE trace_key IN ${inKeys})`).run(keys);
  prepared(db, `DELETE FROM attr_docs WHERE trace_key IN ${inKeys}`).run(keys);
  prepared(db, `DELETE FROM log_text WHERE rowid IN (SELECT id FROM logs WHERE trace_key IN ${inKeys} AND id <= (SELECT log_id FROM search_progress))`).run(keys);
}

/** Removes these logs' text (before or after their rows are deleted). */
export function forgetLogText(db: Db, logIds: readonly (number | bigint)[]): void {
  const indexed = searchProgress(db).logId;
  const ids = logIds.filter((id) => Number(id) <= indexed).map(String);
  if (ids.length) prepared(db, `DELETE FROM log_text WHERE rowid IN (SELECT CAST(value AS INTEGER) FROM json_each(?))`).run(JSON.stringify(ids));
}

export interface SearchIndexer {
  /** Called after each commit: there may be more to index. */
  committed(): void;
  /** Indexes everything stored so far, writes waiting or not; resolves when done. */
  catchUp(): Promise<void>;
  stop(): void;
}

/**
 * Runs indexing steps on `db`: small ones between commits while the writer has time to spare (nothing queued,
 * and idle for IDLE_MS or under SPARE_LOAD of the last second spent committing), none while ingest keeps it busy,
 * and full ones once MAX_LAG items wait or someone waits for it (catchUp).
 */
export function startSearchIndexer(db: Db, writer: { busy(): boolean; load(): number }): SearchIndexer {
  let stopped = false;
  let scheduled = false;
  let waiters: (() => void)[] = [];
  let urgent = 0;
  let lastCommitMs = 0;

  function schedule(delayMs = 0): void {
    if (scheduled || stopped) return;
    scheduled = true;
    if (delayMs > 0) setTimeout(run, delayMs).unref();
    else setImmediate(run);
  }

  function run(): void {
    scheduled = false;
    if (stopped) return;
    const backlog = searchBacklog(db);
    if (backlog === 0) {
      for (const w of waiters.splice(0)) w();
      urgent = 0;
      return;
    }
    const full = urgent > 0 || backlog >= MAX_LAG;
    const spare = !writer.busy() && (Date.now() - lastCommitMs >= IDLE_MS || writer.load() < SPARE_LOAD);
    if (!full && !spare) return schedule(QUIET_MS);
    try {
      indexStep(db, full ? STEP_ITEMS : SPARE_STEP_ITEMS);
    } catch (e) {
      console.error('store: search indexing failed', e);
      for (const w of waiters.splice(0)) w();
      return schedule(1000);
    }
    schedule();
  }

  return {
    committed() {
      lastCommitMs = Date.now();
      schedule(QUIET_MS);
    },
    catchUp() {
      if (stopped) return Promise.resolve();
      urgent++;
      const done = new Promise<void>((resolve) => waiters.push(resolve));
      schedule();
      return done;
    },
    stop() {
      stopped = true;
      for (const w of waiters.splice(0)) w();
      waiters = [];
    },
  };
}
