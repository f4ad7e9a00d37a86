// Reads for the UI and analysis, on the reader connection. Rows come back as model objects.
import { InputError } from '../errors';
import type { Resource, Scope, Span, SpanEvent, SpanKind, SpanLink, StatusCode } from '../model';
import { decodeAttributes, decodeParsedAttributes, decodeValue } from '../otlp/attribute-json';
import { prepared, type Db } from './connection';
import { attributeTerms, boundedCount, CANDIDATE_CAP, matchArgs, parseTextQuery, textMatchQuery, type AttributeFilter, type AttributeTerms } from './search';
import { searchProgress, type SearchProgress } from './search-index';
import type { LogQuery, LogRecordRow, Page, SpanOutline, StoredLog, StoreStats, TraceQuery, TraceSummary } from './types';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/**
 * A span's columns as read (SPAN_COLUMNS_READ, as an array: no object per row). Small integers come back as REAL
 * (`+ 0.0`), so that they are numbers and not one BigInt each; times and row ids stay BigInt.
 */
export type SpanRow = [
  spanId: string, parentSpanId: string, traceState: string, flags: number, name: string, kind: number, startNs: bigint, endNs: bigint,
  statusCode: number, statusMessage: string, attributes: string, droppedAttributes: number, events: string, droppedEvents: number,
  links: string, droppedLinks: number, resourceId: bigint, scopeId: bigint,
];

export const SPAN_COLUMNS_READ = `s.span_id, s.parent_span_id, s.trace_state, s.flags + 0.0, s.name, s.kind + 0.0, s.start_ns, s.end_ns,
  s.status_code + 0.0, s.status_message, s.attributes, s.dropped_attributes_count + 0.0, s.events, s.dropped_events_count + 0.0,
  s.links, s.dropped_links_count + 0.0, s.resource_id, s.scope_id`;

export const TRACE_SPANS_SQL = `SELECT ${SPAN_COLUMNS_READ} FROM trace_ids i JOIN spans s ON s.trace_key = i.trace_key WHERE i.trace_id = ? ORDER BY s.start_ns, s.id`;

export function getTrace(db: Db, traceId: string): Span[] {
  const id = traceId.toLowerCase();
  const rows = prepared<[string], SpanRow>(db, TRACE_SPANS_SQL).raw(true).all(id);
  const parts = new ResourceScopeReader(db);
  return rows.map((r) => toSpan(id, r, parts));
}

const SPAN_SQL = `SELECT ${SPAN_COLUMNS_READ} FROM spans s JOIN trace_ids i ON i.trace_key = s.trace_key WHERE s.id = ? AND i.trace_id = ?`;

export function getSpan(db: Db, traceId: string, key: number): Span | undefined {
  const row = prepared<[number, string], SpanRow>(db, SPAN_SQL).raw(true).get(key, traceId.toLowerCase());
  return row && toSpan(traceId.toLowerCase(), row, new ResourceScopeReader(db));
}

export function toSpan(traceId: string, r: SpanRow | readonly unknown[], parts: ResourceScopeReader): Span {
  const [spanId, parentSpanId, traceState, flags, name, kind, startNs, endNs, statusCode, statusMessage, attributes, droppedAttributes, events,
    droppedEvents, links, droppedLinks, resourceId, scopeId] = r as SpanRow;
  return {
    traceId,
    spanId,
    parentSpanId,
    traceState,
    flags,
    name,
    kind: kind as SpanKind,
    startNs,
    endNs,
    attributes: decodeAttributes(attributes),
    droppedAttributesCount: droppedAttributes,
    events: decodeEvents(events),
    droppedEventsCount: droppedEvents,
    links: decodeLinks(links),
    droppedLinksCount: droppedLinks,
    status: { code: statusCode as StatusCode, message: statusMessage },
    resource: parts.resource(resourceId),
    scope: parts.scope(scopeId),
  };
}

// Column order of TRACE_OUTLINE_SQL, read as arrays: a third faster than an object per row at 100k spans.
type OutlineRow = [
  key: bigint, spanId: string, parentSpanId: string, traceState: string, flags: bigint, name: string, kind: bigint,
  startNs: bigint, endNs: bigint, statusCode: bigint, statusMessage: string, droppedAttributes: bigint,
  eventCount: bigint, droppedEvents: bigint, linkCount: bigint, droppedLinks: bigint, resourceId: bigint, scopeId: bigint,
];

// json_array_length runs in SQLite's C parser; the JSON never reaches JavaScript.
export const TRACE_OUTLINE_SQL = `SELECT s.id, s.span_id, s.parent_span_id, s.trace_state, s.flags, s.name, s.kind, s.start_ns, s.end_ns,
  s.status_code, s.status_message, s.dropped_attributes_count, json_array_length(s.events), s.dropped_events_count,
  json_array_length(s.links), s.dropped_links_count, s.resource_id, s.scope_id
  FROM trace_ids i JOIN spans s ON s.trace_key = i.trace_key WHERE i.trace_id = ? ORDER BY s.start_ns, s.id`;

export function getTraceOutline(db: Db, traceId: string): SpanOutline[] {
  const id = traceId.toLowerCase();
  const rows = prepared<[string], OutlineRow>(db, TRACE_OUTLINE_SQL).raw(true).all(id);
  const parts = new ResourceScopeReader(db);
  return rows.map(([key, spanId, parentSpanId, traceState, flags, name, kind, startNs, endNs, statusCode, statusMessage,
    droppedAttributes, eventCount, droppedEvents, linkCount, droppedLinks, resourceId, scopeId]) => ({
    traceId: id,
    spanId,
    parentSpanId,
    traceState,
    flags: Number(flags),
    name,
    kind: Number(kind) as SpanKind,
    startNs,
    endNs,
    attributes: {},
    droppedAttributesCount: Number(droppedAttributes),
    events: [],
    droppedEventsCount: Number(droppedEvents),
    links: [],
    droppedLinksCount: Number(droppedLinks),
    status: { code: Number(statusCode) as StatusCode, message: statusMessage },
    resource: parts.resource(resourceId),
    scope: parts.scope(scopeId),
    key: Number(key),
    eventCount: Number(eventCount),
    linkCount: Number(linkCount),
  }));
}

/** The resource a span ran in and when it started, without reading the rest of its trace; undefined if it is not stored. */
export function spanPlace(db: Db, traceId: string, spanId: string): { resource: Resource; startNs: bigint } | undefined {
  const row = prepared<[string, string], { start_ns: bigint; resource_id: bigint }>(
    db,
    `SELECT s.start_ns, s.resource_id FROM spans s JOIN trace_ids i ON i.trace_key = s.trace_key WHERE i.trace_id = ? AND s.span_id = ? LIMIT 1`,
  ).get(traceId.toLowerCase(), spanId.toLowerCase());
  return row && { resource: new ResourceScopeReader(db).resource(row.resource_id), startNs: row.start_ns };
}

export const ROOT_PLACES_SQL = `SELECT i.trace_id, t.root_start_ns,
  (SELECT s.resource_id FROM spans s WHERE s.trace_key = t.trace_key AND s.span_id = t.root_span_id LIMIT 1) AS resource_id
  FROM json_each(?) j JOIN trace_ids i ON i.trace_id = j.value JOIN traces t ON t.trace_key = i.trace_key`;

/**
 * Where each of these traces' root span (the summary's) ran and when it started, in one read; each resource is
 * decoded once and shared by reference. Traces not stored are left out.
 */
export function rootPlaces(db: Db, traceIds: readonly string[]): Map<string, { resource: Resource; startNs: bigint }> {
  const places = new Map<string, { resource: Resource; startNs: bigint }>();
  if (traceIds.length === 0) return places;
  const rows = prepared<[string], { trace_id: string; root_start_ns: bigint; resource_id: bigint | null }>(db, ROOT_PLACES_SQL).all(
    JSON.stringify(traceIds.map((id) => id.toLowerCase())),
  );
  const parts = new ResourceScopeReader(db);
  for (const r of rows) if (r.resource_id !== null) places.set(r.trace_id, { resource: parts.resource(r.resource_id), startNs: r.root_start_ns });
  return places;
}

function decodeEvents(json: string): SpanEvent[] {
  if (json === '[]') return [];
  return (JSON.parse(json) as (Omit<SpanEvent, 'timeNs'> & { timeNs: string })[]).map((e) => ({
    timeNs: BigInt(e.timeNs),
    name: e.name,
    attributes: decodeParsedAttributes(e.attributes),
    droppedAttributesCount: e.droppedAttributesCount,
  }));
}

function decodeLinks(json: string): SpanLink[] {
  if (json === '[]') return [];
  return (JSON.parse(json) as SpanLink[]).map((l) => ({ ...l, attributes: decodeParsedAttributes(l.attributes) }));
}

/** Resources and scopes by id, each read and decoded once per reader and shared by reference, like the model's. */
export class ResourceScopeReader {
  private readonly resources = new Map<bigint, Resource>();
  private readonly scopes = new Map<bigint, Scope>();
  constructor(private readonly db: Db) {}

  /** Resources and scopes held. */
  get size(): number {
    return this.resources.size + this.scopes.size;
  }

  resource(id: bigint): Resource {
    let r = this.resources.get(id);
    if (!r) {
      const row = prepared<[bigint], { attributes: string; dropped_attributes_count: bigint; schema_url: string }>(
        this.db,
        `SELECT attributes, dropped_attributes_count, schema_url FROM resources WHERE id = ?`,
      ).get(id)!;
      r = { attributes: decodeAttributes(row.attributes), droppedAttributesCount: Number(row.dropped_attributes_count), schemaUrl: row.schema_url };
      const peers = prepared<[bigint], { address: string }>(this.db, `SELECT address FROM resource_peers WHERE resource_id = ? ORDER BY last_seen_ms DESC`).all(id);
      if (peers.length > 0) r.peers = peers.map((p) => p.address);
      this.resources.set(id, r);
    }
    return r;
  }

  scope(id: bigint): Scope {
    let s = this.scopes.get(id);
    if (!s) {
      const row = prepared<[bigint], { name: string; version: string; attributes: string; dropped_attributes_count: bigint; schema_url: string }>(
        this.db,
        `SELECT name, version, attributes, dropped_attributes_count, schema_url FROM scopes WHERE id = ?`,
      ).get(id)!;
      s = {
        name: row.name,
        version: row.version,
        attributes: decodeAttributes(row.attributes),
        droppedAttributesCount: Number(row.dropped_attributes_count),
        schemaUrl: row.schema_url,
      };
      this.scopes.set(id, s);
    }
    return s;
  }
}

interface SummaryRecord {
  trace_id: string;
  trace_key: bigint;
  start_ns: bigint;
  duration_ns: bigint;
  span_count: bigint;
  error_count: bigint;
  root_service: string;
  root_operation: string;
  services: string;
}

const SUMMARY_COLUMNS = `i.trace_id, t.trace_key, t.start_ns, t.duration_ns, t.span_count, t.error_count, t.root_service,
  t.root_operation, t.services`;

function toSummary(r: SummaryRecord): TraceSummary {
  return {
    traceId: r.trace_id,
    rootService: r.root_service,
    rootOperation: r.root_operation,
    startNs: r.start_ns,
    durationNs: r.duration_ns,
    spanCount: Number(r.span_count),
    errorCount: Number(r.error_count),
    services: JSON.parse(r.services) as string[],
  };
}

export const TRACE_SUMMARY_SQL = `SELECT ${SUMMARY_COLUMNS} FROM trace_ids i JOIN traces t ON t.trace_key = i.trace_key WHERE i.trace_id = ?`;

export function getTraceSummary(db: Db, traceId: string): TraceSummary | undefined {
  const row = prepared<[string], SummaryRecord>(db, TRACE_SUMMARY_SQL).get(traceId.toLowerCase());
  return row && toSummary(row);
}

/**
 * Newest first by trace start. `service` matches a trace with any span of that service; `operation`
 * matches the root span's name (and, with `service`, the root's service), as offered by `operations()`.
 */
export function searchTraces(db: Db, q: TraceQuery): Page<TraceSummary> {
  const query = traceSearch(db, q);
  if (!query) return { items: [] };
  const rows = prepared<unknown[], SummaryRecord>(db, query.sql).all(...query.params);
  return page(rows.slice(0, query.limit).map(toSummary), rows.length > query.limit, () => {
    const last = rows[query.limit - 1];
    return encodeCursor(last.start_ns, last.trace_key);
  });
}

interface BuiltQuery {
  sql: string;
  params: unknown[];
  limit: number;
}

/** The SQL for a trace search (one row more than a page, to know whether another follows), or null when nothing can match. */
export function traceSearch(db: Db, q: TraceQuery, cap: SearchPlanning = {}): BuiltQuery | null {
  const limit = pageLimit(q.limit);
  const candidateCap = cap.candidateCap ?? CANDIDATE_CAP;
  const { where, params, filter } = conditions();
  const attributes = q.attributes ?? [];
  const driver = rarestAttribute(db, attributes, candidateCap);
  let withCandidates = '';
  let from = `traces t`;
  let start = 't.start_ns';
  let key = 't.trace_key';
  // Whether the walk goes newest first through the traces (or a service's posting list), testing each.
  const walking = driver === undefined;
  if (driver) {
    const progress = searchProgress(db);
    const candidates = attributeCandidates(driver, progress);
    withCandidates = `WITH c(trace_key) AS MATERIALIZED (${candidates.sql}) `;
    params.push(...candidates.params);
    from = `c CROSS JOIN traces t ON t.trace_key = c.trace_key`;
  }
  if (q.operation !== undefined) {
    filter('t.root_operation = ?', q.operation);
    if (q.service !== undefined) filter('t.root_service = ?', q.service);
  } else if (q.service !== undefined) {
    const service = serviceId(db, q.service);
    if (service === undefined) return null;
    if (walking) {
      from = `trace_services p JOIN traces t ON t.trace_key = p.trace_key`;
      start = 'p.start_ns';
      key = 'p.trace_key';
      filter('p.service_id = ?', service);
    } else {
      filter('EXISTS (SELECT 1 FROM trace_services p WHERE p.trace_key = t.trace_key AND p.service_id = ?)', service);
    }
  }
  if (q.fromNs !== undefined) filter(`${start} >= ?`, q.fromNs);
  if (q.toNs !== undefined) filter(`${start} <= ?`, q.toNs);
  if (q.minDurationNs !== undefined || q.maxDurationNs !== undefined) {
    // Few traces in the range: read them from the duration index and sort them. Many: walk newest first, where
    // one in every few traces matches (+ keeps the planner off the duration index).
    const fewByDuration = walking && from === 'traces t' && q.operation === undefined && durationCount(db, q, candidateCap) <= candidateCap;
    if (fewByDuration) from = 'traces t INDEXED BY traces_by_duration';
    const column = fewByDuration || !walking ? 't.duration_ns' : '+t.duration_ns';
    if (q.minDurationNs !== undefined) filter(`${column} >= ?`, q.minDurationNs);
    if (q.maxDurationNs !== undefined) filter(`${column} <= ?`, q.maxDurationNs);
  }
  if (q.status === 'error') filter('t.error_count > 0');
  if (q.status === 'ok') filter('t.error_count = 0');
  for (const f of attributes) {
    if (f === driver?.filter && !driver.terms.check) continue;
    const check = traceHasAttribute('t.trace_key', f);
    filter(check.sql, ...check.params);
  }
  if (q.cursor !== undefined) {
    const [cursorStart, cursorKey] = decodeCursor(q.cursor);
    filter(`${start} <= ? AND (${start} < ? OR ${key} < ?)`, cursorStart, cursorStart, cursorKey);
  }
  const sql =
    `${withCandidates}SELECT ${SUMMARY_COLUMNS} FROM ${from} JOIN trace_ids i ON i.trace_key = t.trace_key` +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    ` ORDER BY ${start} DESC, ${key} DESC LIMIT ?`;
  return { sql, params: [...params, limit + 1], limit };
}

/** How searches choose their plan; tests lower the cap to see the plan a large store gets. */
export interface SearchPlanning {
  /** Candidates at most this many come from an index; default CANDIDATE_CAP. */
  candidateCap?: number;
}

interface Driver {
  filter: AttributeFilter;
  terms: AttributeTerms;
}

/** The attribute filter whose candidates the index lists in the fewest documents, if any lists at most `cap`. */
function rarestAttribute(db: Db, filters: readonly AttributeFilter[], cap: number): Driver | undefined {
  let best: (Driver & { count: number }) | undefined;
  for (const filter of filters) {
    const terms = attributeTerms(filter);
    const count = boundedCount(db, 'attr_terms', terms.maybe ? `${terms.exact} OR ${terms.maybe}` : terms.exact, cap);
    if (count <= cap && (!best || count < best.count)) best = { filter, terms, count };
  }
  return best;
}

/** The traces that may match the driver: from the index, and from the spans and logs it does not cover yet. */
function attributeCandidates(driver: Driver, progress: SearchProgress): { sql: string; params: unknown[] } {
  const fromIndex = `SELECT d.trace_key FROM attr_terms f JOIN attr_docs d ON d.id = f.rowid WHERE attr_terms MATCH ?`;
  const args = matchArgs(driver.filter);
  const parts = [fromIndex];
  const params: unknown[] = [driver.terms.exact];
  if (driver.terms.maybe) {
    const check = traceHasAttribute('d.trace_key', driver.filter);
    parts.push(`${fromIndex} AND ${check.sql}`);
    params.push(driver.terms.maybe, ...check.params);
  }
  parts.push(
    `SELECT s.trace_key FROM spans s JOIN resources r ON r.id = s.resource_id WHERE s.id > ?
     AND (hopscope_attribute_matches(s.attributes, ?, ?, ?) OR hopscope_attribute_matches(r.attributes, ?, ?, ?))`,
    `SELECT l.trace_key FROM logs l JOIN resources r ON r.id = l.resource_id WHERE l.id > ? AND l.trace_key IS NOT NULL
     AND (hopscope_attribute_matches(l.attributes, ?, ?, ?) OR hopscope_attribute_matches(r.attributes, ?, ?, ?))`,
  );
  params.push(progress.spanId, ...args, ...args, progress.logId, ...args, ...args);
  // UNION ALL, then DISTINCT: a plain UNION merges sorted inputs, and sorting by trace would walk every span.
  return { sql: `SELECT DISTINCT trace_key FROM (${parts.join(' UNION ALL ')})`, params };
}

/** A test that the trace `traceKey` (an SQL expression) has a span, span resource, log or log resource attribute matching `f`. */
function traceHasAttribute(traceKey: string, f: AttributeFilter): { sql: string; params: unknown[] } {
  const args = matchArgs(f);
  return {
    sql: `(EXISTS (SELECT 1 FROM spans s JOIN resources r ON r.id = s.resource_id WHERE s.trace_key = ${traceKey}
             AND (hopscope_attribute_matches(s.attributes, ?, ?, ?) OR hopscope_attribute_matches(r.attributes, ?, ?, ?)))
          OR EXISTS (SELECT 1 FROM logs l JOIN resources r ON r.id = l.resource_id WHERE l.trace_key = ${traceKey}
             AND (hopscope_attribute_matches(l.attributes, ?, ?, ?) OR hopscope_attribute_matches(r.attributes, ?, ?, ?))))`,
    params: [...args, ...args, ...args, ...args],
  };
}

/** Traces whose duration is in the query's range, counted to at most cap + 1 from the duration index. */
function durationCount(db: Db, q: TraceQuery, cap: number): number {
  const row = prepared<[bigint, bigint, number], { n: bigint }>(
    db,
    `SELECT count(*) AS n FROM (SELECT 1 FROM traces INDEXED BY traces_by_duration WHERE duration_ns >= ? AND duration_ns <= ? LIMIT ?)`,
  ).get(q.minDurationNs ?? 0n, q.maxDurationNs ?? BigInt(Number.MAX_SAFE_INTEGER) * 1000n, cap + 1)!;
  return Number(row.n);
}

function serviceId(db: Db, name: string): bigint | undefined {
  return prepared<[string], { id: bigint }>(db, `SELECT id FROM services WHERE name = ?`).get(name)?.id;
}

export const LOG_COLUMNS = `l.id, i.trace_id, l.span_id, l.time_ns, l.observed_ns, l.at_ns, l.severity_number, l.severity_text, l.body,
  l.attributes, l.dropped_attributes_count, l.flags, l.event_name, l.resource_id, l.scope_id`;

export function toLogs(db: Db, rows: LogRecordRow[], parts = new ResourceScopeReader(db)): StoredLog[] {
  return rows.map((r) => ({
    id: Number(r.id),
    timeNs: r.time_ns,
    observedNs: r.observed_ns,
    severityNumber: Number(r.severity_number),
    severityText: r.severity_text,
    body: decodeValue(r.body),
    attributes: decodeAttributes(r.attributes),
    droppedAttributesCount: Number(r.dropped_attributes_count),
    flags: Number(r.flags),
    traceId: r.trace_id ?? '',
    spanId: r.span_id,
    eventName: r.event_name,
    resource: parts.resource(r.resource_id),
    scope: parts.scope(r.scope_id),
  }));
}

/** Oldest first. */
export const TRACE_LOGS_SQL = `SELECT ${LOG_COLUMNS} FROM trace_ids i JOIN logs l ON l.trace_key = i.trace_key WHERE i.trace_id = ? ORDER BY l.at_ns, l.id`;

export function logsForTrace(db: Db, traceId: string): StoredLog[] {
  const rows = prepared<[string], LogRecordRow>(db, TRACE_LOGS_SQL).all(traceId.toLowerCase());
  return toLogs(db, rows);
}

/** Newest first by the record's time (its observed time when it has none). */
export function searchLogs(db: Db, q: LogQuery): Page<StoredLog> {
  const query = logSearch(db, q);
  if (!query) return { items: [] };
  const rows = prepared<unknown[], LogRecordRow>(db, query.sql).all(...query.params);
  return page(toLogs(db, rows.slice(0, query.limit)), rows.length > query.limit, () => {
    const last = rows[query.limit - 1];
    return encodeCursor(last.at_ns, last.id);
  });
}

/** The SQL for a log search, or null when nothing can match. */
export function logSearch(db: Db, q: LogQuery, cap: SearchPlanning = {}): BuiltQuery | null {
  const limit = pageLimit(q.limit);
  const { where, params, filter } = conditions();
  let withCandidates = '';
  let from = 'logs l';
  if (q.text !== undefined && q.text.trim() !== '') {
    const text = parseTextQuery(q.text);
    const match = textMatchQuery(text);
    if (match === undefined) return null;
    const indexed = searchProgress(db).logId;
    const tail = 'hopscope_text_matches(l.body, ?)';
    const candidateCap = cap.candidateCap ?? CANDIDATE_CAP;
    // Counting a prefix query merges the lists of every word it starts (all of them, LIMIT or not); the words
    // themselves are read lazily, so a common one is told by them alone.
    const few = (query: string | undefined) => query === undefined || boundedCount(db, 'log_text', query, candidateCap) <= candidateCap;
    if (few(textMatchQuery(text, { prefixes: false })) && few(match)) {
      // Few matches: listed by the index (and found among the logs it does not cover yet), then sorted.
      withCandidates = `WITH c(id) AS MATERIALIZED (SELECT rowid FROM log_text WHERE log_text MATCH ? UNION ALL SELECT id FROM logs l WHERE l.id > ? AND ${tail}) `;
      params.push(match, indexed, JSON.stringify(text));
      from = 'c CROSS JOIN logs l ON l.id = c.id';
    } else {
      // Many: one in every few logs, newest first, matches; each is tested as the index would (a lookup in the
      // index by id costs a walk through the word's list, slower than reading the text).
      filter(tail, JSON.stringify(text));
    }
  }
  if (q.service !== undefined) {
    const service = serviceId(db, q.service);
    if (service === undefined) return null;
    filter('l.service_id = ?', service);
  }
  if (q.traceId !== undefined) {
    const trace = prepared<[string], { trace_key: bigint }>(db, `SELECT trace_key FROM trace_ids WHERE trace_id = ?`).get(q.traceId.toLowerCase());
    if (!trace) return null;
    filter('l.trace_key = ?', trace.trace_key);
  }
  if (q.spanId !== undefined) filter('l.span_id = ?', q.spanId.toLowerCase());
  if (q.minSeverity !== undefined) filter('l.severity_number >= ?', q.minSeverity);
  if (q.fromNs !== undefined) filter('l.at_ns >= ?', q.fromNs);
  if (q.toNs !== undefined) filter('l.at_ns <= ?', q.toNs);
  if (q.cursor !== undefined) {
    const [cursorAt, cursorId] = decodeCursor(q.cursor);
    filter('l.at_ns <= ? AND (l.at_ns < ? OR l.id < ?)', cursorAt, cursorAt, cursorId);
  }
  const sql =
    `${withCandidates}SELECT ${LOG_COLUMNS} FROM ${from} LEFT JOIN trace_ids i ON i.trace_key = l.trace_key` +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    ` ORDER BY l.at_ns DESC, l.id DESC LIMIT ?`;
  return { sql, params: [...params, limit + 1], limit };
}

export function services(db: Db): string[] {
  return prepared<[], { name: string }>(db, `SELECT name FROM services ORDER BY name`)
    .all()
    .map((r) => r.name);
}

/** Names of the service's parentless root spans: what `searchTraces({ service, operation })` can match. */
export function operations(db: Db, service: string): string[] {
  return prepared<[string], { operation: string }>(db, `SELECT operation FROM root_operations WHERE service = ? ORDER BY operation`)
    .all(service)
    .map((r) => r.operation);
}

export function stats(db: Db): StoreStats {
  const totals = prepared<[], { spans: bigint; logs: bigint; traces: bigint }>(db, `SELECT spans, logs, traces FROM totals`).get()!;
  const serviceCount = prepared<[], { n: bigint }>(db, `SELECT count(*) AS n FROM services`).get()!;
  const bytes = prepared<[], { n: bigint }>(db, `SELECT page_count * page_size AS n FROM pragma_page_count(), pragma_page_size()`).get()!;
  return {
    spans: Number(totals.spans),
    logs: Number(totals.logs),
    traces: Number(totals.traces),
    services: Number(serviceCount.n),
    dbBytes: Number(bytes.n),
  };
}

/** WHERE terms and their parameters, added in step. */
function conditions() {
  const where: string[] = [];
  const params: unknown[] = [];
  return {
    where,
    params,
    filter(sql: string, ...values: unknown[]) {
      where.push(sql);
      params.push(...values);
    },
  };
}

function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) throw new InputError(`limit must be a positive integer, got ${limit}`, { field: 'limit' });
  return Math.min(limit, MAX_LIMIT);
}

function page<T>(items: T[], more: boolean, cursor: () => string): Page<T> {
  return more ? { items, nextCursor: cursor() } : { items };
}

// A cursor is the (time, key) of the last item of a page, opaque to clients.
function encodeCursor(at: bigint, key: bigint): string {
  return Buffer.from(`${at}.${key}`).toString('base64url');
}

function decodeCursor(cursor: string): [bigint, bigint] {
  const m = /^(\d+)\.(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw new InputError(`invalid cursor ${JSON.stringify(cursor)}: pass nextCursor from the previous page unchanged`, { field: 'cursor' });
  return [BigInt(m[1]), BigInt(m[2])];
}
