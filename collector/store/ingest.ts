// The commit path: everything queued since the last commit goes into the database in one call,
// inside the caller's transaction. Per commit, each trace is looked up, summarised and marked for
// analysis once, and rows go in through multi-row INSERTs.
import type { CommitInfo } from './types';
import { insertRows, prepared, type Db } from './connection';
import type { EncodedBatch, ResourceRow, ScopeRow } from './encode';
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
const TOUCH_PENDING = `INSERT INTO analysis_pending (trace_key, touched_ms, touches)`;
const TOUCH_PENDING_CONFLICT = `ON CONFLICT (trace_key) DO UPDATE SET touched_ms = excluded.touched_ms, touches = touches + 1`;
const UPSERT_SERVICE = `INSERT INTO services (name) VALUES (?) ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id`;
const INSERT_ROOT_OPERATION = `INSERT OR IGNORE INTO root_operations (service, operation) VALUES (?, ?)`;
const UPSERT_RESOURCE = `
  INSERT INTO resources (service, attributes, dropped_attributes_count, schema_url) VALUES (?, ?, ?, ?)
  ON CONFLICT (attributes, dropped_attributes_count, schema_url) DO UPDATE SET service = excluded.service RETURNING id`;
const UPSERT_SCOPE = `
  INSERT INTO scopes (name, version, attributes, dropped_attributes_count, schema_url) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (name, version, attributes, dropped_attributes_count, schema_url) DO UPDATE SET name = excluded.name RETURNING id`;
export const SPAN_COLUMNS = `trace_key, span_id, parent_span_id, trace_state, flags, name, kind, start_ns, end_ns,
  status_code, status_message, attributes, dropped_attributes_count, events, dropped_events_count,
  links, dropped_links_count, resource_id, scope_id`;
const SPAN_WIDTH = 19;
const INSERT_SPANS = `INSERT INTO spans (${SPAN_COLUMNS})`;
const INSERT_LOGS = `
  INSERT INTO logs (trace_key, span_id, time_ns, observed_ns, severity_number, severity_text, body, attributes,
                    dropped_attributes_count, flags, event_name, resource_id, scope_id, service_id)`;
const LOG_WIDTH = 14;
const ADD_TOTALS = `UPDATE totals SET spans = spans + ?, logs = logs + ?, traces = traces + ?`;
const MARK_INGEST = `
  INSERT INTO ingest_marks (minute_ms, last_trace_key, last_log_id)
  VALUES (?, (SELECT coalesce(max(trace_key), 0) FROM trace_ids), (SELECT coalesce(max(id), 0) FROM logs))
  ON CONFLICT (minute_ms) DO UPDATE SET last_trace_key = excluded.last_trace_key, last_log_id = excluded.last_log_id`;

/** Writes the batches; the caller owns the transaction. */
export function insertBatches(db: Db, ids: IdCache, batches: EncodedBatch[], nowMs: number): CommitInfo {
  const insertedId = (sql: string, ...values: unknown[]) => Number(prepared<unknown[], { id: bigint }>(db, sql).get(...values)!.id);
  // Rows are shared by reference within a batch (one per decoded Resource), so most lookups hit the first map.
  const resourceIds = new Map<ResourceRow, number>();
  const scopeIds = new Map<ScopeRow, number>();
  const resourceId = (r: ResourceRow) => {
    let id = resourceIds.get(r);
    if (id === undefined) {
      id = ids.resources.get(r.key) ?? remember(ids.resources, r.key, insertedId(UPSERT_RESOURCE, r.service, r.attributes, r.droppedAttributesCount, r.schemaUrl));
      resourceIds.set(r, id);
    }
    return id;
  };
  const scopeId = (s: ScopeRow) => {
    let id = scopeIds.get(s);
    if (id === undefined) {
      id = ids.scopes.get(s.key) ?? remember(ids.scopes, s.key, insertedId(UPSERT_SCOPE, s.name, s.version, s.attributes, s.droppedAttributesCount, s.schemaUrl));
      scopeIds.set(s, id);
    }
    return id;
  };
  const serviceId = (name: string) => ids.services.get(name) ?? remember(ids.services, name, insertedId(UPSERT_SERVICE, name));

  const touched = new Map<string, TraceState>();
  const logTraceIds = new Set<string>();
  for (const batch of batches) {
    for (const row of batch.spans) {
      const state = touched.get(row.traceId);
      if (state) addSpan(state, row);
      else touched.set(row.traceId, spanState(row));
    }
    for (const row of batch.logs) if (row.traceId !== '' && !touched.has(row.traceId)) logTraceIds.add(row.traceId);
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
    pending.push(key, nowMs, 1);
  }
  insertRows(db, INSERT_TRACES, 11, newTraces);
  insertRows(db, INSERT_TRACE_SERVICES, 3, traceServices);
  insertRows(db, TOUCH_PENDING, 3, pending, TOUCH_PENDING_CONFLICT);

  const spanValues: unknown[] = [];
  const logValues: unknown[] = [];
  for (const batch of batches) {
    for (const r of batch.spans) {
      spanValues.push(
        keys.get(r.traceId),
        r.spanId,
        r.parentSpanId,
        r.traceState,
        r.flags,
        r.name,
        r.kind,
        r.startNs,
        r.endNs,
        r.statusCode,
        r.statusMessage,
        r.attributes,
        r.droppedAttributesCount,
        r.events,
        r.droppedEventsCount,
        r.links,
        r.droppedLinksCount,
        resourceId(r.resource),
        scopeId(r.scope),
      );
    }
    for (const r of batch.logs) {
      logValues.push(
        r.traceId === '' ? null : keys.get(r.traceId),
        r.spanId,
        r.timeNs,
        r.observedNs,
        r.severityNumber,
        r.severityText,
        r.body,
        r.attributes,
        r.droppedAttributesCount,
        r.flags,
        r.eventName,
        resourceId(r.resource),
        scopeId(r.scope),
        serviceId(r.resource.service),
      );
    }
  }
  insertRows(db, INSERT_SPANS, SPAN_WIDTH, spanValues);
  insertRows(db, INSERT_LOGS, LOG_WIDTH, logValues);
  const spans = spanValues.length / SPAN_WIDTH;
  const logs = logValues.length / LOG_WIDTH;
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
