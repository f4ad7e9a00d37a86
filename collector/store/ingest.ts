// The commit path: everything queued since the last commit goes into the database in one call,
// inside the caller's transaction. Per commit, each trace is looked up, summarised and marked for
// analysis once, and rows go in through multi-row INSERTs.
import type { CommitInfo } from './types';
import { insertRows, prepared, type Db } from './connection';
import { LOG_WIDTH, LogAt, SPAN_WIDTH, SpanAt, type EncodedBatch } from './encode';
import { addSpan, mergeStates, spanState, type TraceState } from './summary';

/** Rows already in the database that are looked up by content; forget() after a rollback. */
export interface IdCache {
  resources: Map<string, number>;
  scopes: Map<string, number>;
  services: Map<string, number>;
  /** `service\0operation` */
  rootOperations: Set<string>;
}

export function newIdCache(): IdCache {
  return { resources: new Map(), scopes: new Map(), services: new Map(), rootOperations: new Set() };
}

export function forget(cache: IdCache): void {
  cache.resources.clear();
  cache.scopes.clear();
  cache.services.clear();
  cache.rootOperations.clear();
}

interface TraceRow {
  trace_id: string;
  trace_key: bigint;
  start_ns: bigint | null;
  end_ns: bigint;
  span_count: bigint;
  error_count: bigint;
  root_span_id: string;
  root_has_parent: bigint;
  root_start_ns: bigint;
  root_service: string;
  root_operation: string;
  services: string;
}

// One statement for every trace id of the commit, from a JSON array.
export const SELECT_TRACES = `
  SELECT i.trace_id, i.trace_key, t.start_ns, t.end_ns, t.span_count, t.error_count, t.root_span_id, t.root_has_parent,
         t.root_start_ns, t.root_service, t.root_operation, t.services
  FROM json_each(?) j JOIN trace_ids i ON i.trace_id = j.value LEFT JOIN traces t ON t.trace_key = i.trace_key`;
const LAST_TRACE_KEY = `SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'trace_ids'), 0) AS seq`;
const INSERT_TRACE_IDS = `INSERT INTO trace_ids (trace_key, trace_id)`;
const INSERT_TRACES = `
  INSERT INTO traces (trace_key, start_ns, end_ns, span_count, error_count, root_span_id, root_has_parent,
                      root_start_ns, root_service, root_operation, services)`;
const UPDATE_TRACE = `
  UPDATE traces SET start_ns = ?, end_ns = ?, span_count = ?, error_count = ?, root_span_id = ?,
                    root_has_parent = ?, root_start_ns = ?, root_service = ?, root_operation = ?, services = ?
  WHERE trace_key = ?`;
const MOVE_TRACE_SERVICES = `UPDATE trace_services SET start_ns = ? WHERE trace_key = ?`;
const INSERT_TRACE_SERVICES = `INSERT OR IGNORE INTO trace_services (service_id, start_ns, trace_key)`;
const TOUCH_PENDING = `INSERT INTO analysis_pending (trace_key, touched_ms, touches, start_ns)`;
const TOUCH_PENDING_CONFLICT = `ON CONFLICT (trace_key) DO UPDATE SET touched_ms = excluded.touched_ms, touches = touches + 1, start_ns = excluded.start_ns`;
const UPSERT_SERVICE = `INSERT INTO services (name) VALUES (?) ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id`;
const INSERT_ROOT_OPERATION = `INSERT OR IGNORE INTO root_operations (service, operation) VALUES (?, ?)`;
const UPSERT_RESOURCE_PEER = `
  INSERT INTO resource_peers (resource_id, address, first_seen_ms, last_seen_ms) VALUES (?, ?, ?, ?)
  ON CONFLICT (resource_id, address) DO UPDATE SET last_seen_ms = excluded.last_seen_ms`;
const UPSERT_RESOURCE = `
  INSERT INTO resources (service, attributes, dropped_attributes_count, schema_url) VALUES (?, ?, ?, ?)
  ON CONFLICT (attributes, dropped_attributes_count, schema_url) DO UPDATE SET service = excluded.service RETURNING id`;
const UPSERT_SCOPE = `
  INSERT INTO scopes (name, version, attributes, dropped_attributes_count, schema_url) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (name, version, attributes, dropped_attributes_count, schema_url) DO UPDATE SET name = excluded.name RETURNING id`;
export const SPAN_COLUMNS = `trace_key, span_id, parent_span_id, trace_state, flags, name, kind, start_ns, end_ns,
  status_code, status_message, attributes, dropped_attributes_count, events, dropped_events_count,
  links, dropped_links_count, resource_id, scope_id`;
const INSERT_SPANS = `INSERT INTO spans (${SPAN_COLUMNS})`;
const INSERT_LOGS = `
  INSERT INTO logs (trace_key, span_id, time_ns, observed_ns, severity_number, severity_text, body, attributes,
                    dropped_attributes_count, flags, event_name, resource_id, scope_id, service_id)`;
const ADD_TOTALS = `UPDATE totals SET spans = spans + ?, logs = logs + ?, traces = traces + ?`;
const MARK_INGEST = `
  INSERT INTO ingest_marks (minute_ms, last_trace_key, last_log_id)
  VALUES (?, (SELECT coalesce(max(trace_key), 0) FROM trace_ids), (SELECT coalesce(max(id), 0) FROM logs))
  ON CONFLICT (minute_ms) DO UPDATE SET last_trace_key = excluded.last_trace_key, last_log_id = excluded.last_log_id`;

/**
 * Writes the batches; the caller owns the transaction. The batches' flat values are bound as they are, once
 * trace ids, resource and scope indexes in them are replaced by keys (in place: a batch is written once).
 */
export function insertBatches(db: Db, ids: IdCache, batches: EncodedBatch[], nowMs: number): CommitInfo {
  const insertedId = (sql: string, ...values: unknown[]) => Number(prepared<unknown[], { id: bigint }>(db, sql).get(...values)!.id);
  const serviceId = (name: string) => ids.services.get(name) ?? remember(ids.services, name, insertedId(UPSERT_SERVICE, name));

  const touched = new Map<string, TraceState>();
  const logTraceIds = new Set<string>();
  for (const batch of batches) {
    const { spans, resources } = batch;
    for (let o = 0; o < spans.length; o += SPAN_WIDTH) {
      const traceId = spans[o + SpanAt.traceId] as string;
      const service = resources[spans[o + SpanAt.resource] as number].service;
      const state = touched.get(traceId);
      if (state) addSpan(state, spans, o, service);
      else touched.set(traceId, spanState(spans, o, service));
    }
    for (let o = 0; o < batch.logs.length; o += LOG_WIDTH) {
      const traceId = batch.logs[o + LogAt.traceId] as string;
      if (traceId !== '' && !touched.has(traceId)) logTraceIds.add(traceId);
    }
  }

  const stored = new Map<string, TraceRow>();
  const wanted = [...touched.keys(), ...logTraceIds];
  if (wanted.length > 0) {
    for (const row of prepared<[string], TraceRow>(db, SELECT_TRACES).all(JSON.stringify(wanted))) stored.set(row.trace_id, row);
  }
  const keys = new Map<string, number>();
  const newKeys: unknown[] = [];
  let lastKey = Number(prepared<[], { seq: bigint }>(db, LAST_TRACE_KEY).get()!.seq);
  for (const traceId of wanted) {
    const row = stored.get(traceId);
    if (row) keys.set(traceId, Number(row.trace_key));
    else {
      keys.set(traceId, ++lastKey);
      newKeys.push(lastKey, traceId);
    }
  }
  insertRows(db, INSERT_TRACE_IDS, 2, newKeys);

  const newTraces: unknown[] = [];
  const traceServices: unknown[] = [];
  const pending: unknown[] = [];
  const newTraceIds: string[] = [];
  for (const [traceId, state] of touched) {
    const key = keys.get(traceId)!;
    const row = stored.get(traceId);
    let merged = state;
    let addedServices = state.services;
    if (!row || row.start_ns === null) {
      newTraces.push(key, ...stateValues(state));
      newTraceIds.push(traceId);
    } else {
      const before = storedState(row);
      merged = mergeStates(before, state);
      prepared(db, UPDATE_TRACE).run(...stateValues(merged), key);
      if (merged.startNs !== before.startNs) prepared(db, MOVE_TRACE_SERVICES).run(merged.startNs, key);
      addedServices = state.services.filter((s) => !before.services.includes(s));
    }
    for (const service of addedServices) traceServices.push(serviceId(service), merged.startNs, key);
    const rootOperation = `${merged.rootService}\0${merged.rootOperation}`;
    if (!merged.rootHasParent && !ids.rootOperations.has(rootOperation)) {
      prepared(db, INSERT_ROOT_OPERATION).run(merged.rootService, merged.rootOperation);
      ids.rootOperations.add(rootOperation);
    }
    pending.push(key, nowMs, 1, merged.startNs);
  }
  insertRows(db, INSERT_TRACES, 11, newTraces);
  insertRows(db, INSERT_TRACE_SERVICES, 3, traceServices);
  insertRows(db, TOUCH_PENDING, 4, pending, TOUCH_PENDING_CONFLICT);

  let spans = 0;
  let logs = 0;
  for (const batch of batches) {
    const resourceIds = batch.resources.map(
      (r) => ids.resources.get(r.key) ?? remember(ids.resources, r.key, insertedId(UPSERT_RESOURCE, r.service, r.attributes, r.droppedAttributesCount, r.schemaUrl)),
    );
    if (batch.peer !== undefined) for (const id of resourceIds) prepared(db, UPSERT_RESOURCE_PEER).run(id, batch.peer, nowMs, nowMs);
    const scopeIds = batch.scopes.map(
      (s) => ids.scopes.get(s.key) ?? remember(ids.scopes, s.key, insertedId(UPSERT_SCOPE, s.name, s.version, s.attributes, s.droppedAttributesCount, s.schemaUrl)),
    );
    const v = batch.spans;
    for (let o = 0; o < v.length; o += SPAN_WIDTH) {
      v[o + SpanAt.traceId] = keys.get(v[o + SpanAt.traceId] as string);
      v[o + SpanAt.resource] = resourceIds[v[o + SpanAt.resource] as number];
      v[o + SpanAt.scope] = scopeIds[v[o + SpanAt.scope] as number];
    }
    const l = batch.logs;
    for (let o = 0; o < l.length; o += LOG_WIDTH) {
      const traceId = l[o + LogAt.traceId] as string;
      l[o + LogAt.traceId] = traceId === '' ? null : keys.get(traceId);
      l[o + LogAt.service] = serviceId(batch.resources[l[o + LogAt.service] as number].service);
      l[o + LogAt.resource] = resourceIds[l[o + LogAt.resource] as number];
      l[o + LogAt.scope] = scopeIds[l[o + LogAt.scope] as number];
    }
    insertRows(db, INSERT_SPANS, SPAN_WIDTH, v);
    insertRows(db, INSERT_LOGS, LOG_WIDTH, l);
    spans += v.length / SPAN_WIDTH;
    logs += l.length / LOG_WIDTH;
  }
  prepared(db, ADD_TOTALS).run(spans, logs, newTraceIds.length);
  prepared(db, MARK_INGEST).run(Math.floor(nowMs / 60_000) * 60_000);
  return { traceIds: [...touched.keys()], newTraceIds, spans, logs };
}

function stateValues(s: TraceState) {
  return [
    s.startNs,
    s.endNs,
    s.spanCount,
    s.errorCount,
    s.rootSpanId,
    s.rootHasParent ? 1 : 0,
    s.rootStartNs,
    s.rootService,
    s.rootOperation,
    JSON.stringify(s.services),
  ] as const;
}

function storedState(r: TraceRow): TraceState {
  return {
    startNs: r.start_ns!,
    endNs: r.end_ns,
    spanCount: Number(r.span_count),
    errorCount: Number(r.error_count),
    rootSpanId: r.root_span_id,
    rootHasParent: r.root_has_parent !== 0n,
    rootStartNs: r.root_start_ns,
    rootService: r.root_service,
    rootOperation: r.root_operation,
    services: JSON.parse(r.services) as string[],
  };
}

function remember<K, V>(map: Map<K, V>, key: K, value: V): V {
  map.set(key, value);
  return value;
}
