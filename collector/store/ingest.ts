// The commit path: everything queued since the last commit goes into the database in one call,
// inside the caller's transaction.
import type { CommitInfo } from './types';
import { prepared, type Db } from './connection';
import type { EncodedBatch, ResourceRow, ScopeRow } from './encode';
import { mergeStates, spanState, type TraceState } from './summary';

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

const SELECT_TRACE = `
  SELECT i.trace_key, t.start_ns, t.end_ns, t.span_count, t.error_count, t.root_span_id, t.root_has_parent,
         t.root_start_ns, t.root_service, t.root_operation, t.services
  FROM trace_ids i LEFT JOIN traces t ON t.trace_key = i.trace_key WHERE i.trace_id = ?`;
const INSERT_TRACE_ID = `INSERT INTO trace_ids (trace_id) VALUES (?)`;
const INSERT_TRACE = `
  INSERT INTO traces (trace_key, start_ns, end_ns, span_count, error_count, root_span_id, root_has_parent,
                      root_start_ns, root_service, root_operation, services)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const UPDATE_TRACE = `
  UPDATE traces SET start_ns = ?, end_ns = ?, span_count = ?, error_count = ?, root_span_id = ?,
                    root_has_parent = ?, root_start_ns = ?, root_service = ?, root_operation = ?, services = ?
  WHERE trace_key = ?`;
const MOVE_TRACE_SERVICES = `UPDATE trace_services SET start_ns = ? WHERE trace_key = ?`;
const INSERT_TRACE_SERVICE = `INSERT OR IGNORE INTO trace_services (service_id, start_ns, trace_key) VALUES (?, ?, ?)`;
const UPSERT_SERVICE = `INSERT INTO services (name) VALUES (?) ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id`;
const INSERT_ROOT_OPERATION = `INSERT OR IGNORE INTO root_operations (service, operation) VALUES (?, ?)`;
const UPSERT_RESOURCE = `
  INSERT INTO resources (service, attributes, dropped_attributes_count, schema_url) VALUES (?, ?, ?, ?)
  ON CONFLICT (attributes, dropped_attributes_count, schema_url) DO UPDATE SET service = excluded.service RETURNING id`;
const UPSERT_SCOPE = `
  INSERT INTO scopes (name, version, attributes, dropped_attributes_count, schema_url) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (name, version, attributes, dropped_attributes_count, schema_url) DO UPDATE SET name = excluded.name RETURNING id`;
const INSERT_SPAN = `
  INSERT INTO spans (trace_key, span_id, parent_span_id, trace_state, flags, name, kind, start_ns, end_ns,
                     status_code, status_message, attributes, dropped_attributes_count, events, dropped_events_count,
                     links, dropped_links_count, resource_id, scope_id)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const INSERT_LOG = `
  INSERT INTO logs (trace_key, span_id, time_ns, observed_ns, severity_number, severity_text, body, attributes,
                    dropped_attributes_count, flags, event_name, resource_id, scope_id, service_id)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const ADD_TOTALS = `UPDATE totals SET spans = spans + ?, logs = logs + ?, traces = traces + ?`;
const MARK_INGEST = `
  INSERT INTO ingest_marks (minute_ms, last_trace_key, last_log_id)
  VALUES (?, (SELECT coalesce(max(trace_key), 0) FROM trace_ids), (SELECT coalesce(max(id), 0) FROM logs))
  ON CONFLICT (minute_ms) DO UPDATE SET last_trace_key = excluded.last_trace_key, last_log_id = excluded.last_log_id`;

/** Writes the batches; the caller owns the transaction. */
export function insertBatches(db: Db, ids: IdCache, batches: EncodedBatch[], nowMs: number): CommitInfo {
  const selectTrace = prepared<[string], TraceRow>(db, SELECT_TRACE);
  const insertTraceId = (traceId: string) => Number(prepared(db, INSERT_TRACE_ID).run(traceId).lastInsertRowid);
  const insertedId = (sql: string, ...values: unknown[]) => Number(prepared<unknown[], { id: bigint }>(db, sql).get(...values)!.id);
  const resourceId = (r: ResourceRow) =>
    ids.resources.get(r.key) ??
    remember(ids.resources, r.key, insertedId(UPSERT_RESOURCE, r.service, r.attributes, r.droppedAttributesCount, r.schemaUrl));
  const scopeId = (s: ScopeRow) =>
    ids.scopes.get(s.key) ??
    remember(ids.scopes, s.key, insertedId(UPSERT_SCOPE, s.name, s.version, s.attributes, s.droppedAttributesCount, s.schemaUrl));
  const serviceId = (name: string) => ids.services.get(name) ?? remember(ids.services, name, insertedId(UPSERT_SERVICE, name));

  const touched = new Map<string, TraceState>();
  for (const batch of batches) {
    for (const row of batch.spans) {
      const t = touched.get(row.traceId);
      touched.set(row.traceId, t ? mergeStates(t, spanState(row)) : spanState(row));
    }
  }

  const keys = new Map<string, number>();
  const newTraceIds: string[] = [];
  for (const [traceId, state] of touched) {
    const stored = selectTrace.get(traceId);
    const key = stored ? Number(stored.trace_key) : insertTraceId(traceId);
    let merged = state;
    if (!stored || stored.start_ns === null) {
      prepared(db, INSERT_TRACE).run(key, ...stateValues(state));
      newTraceIds.push(traceId);
    } else {
      const before = storedState(stored);
      merged = mergeStates(before, state);
      prepared(db, UPDATE_TRACE).run(...stateValues(merged), key);
      if (merged.startNs !== before.startNs) prepared(db, MOVE_TRACE_SERVICES).run(merged.startNs, key);
    }
    for (const service of state.services) prepared(db, INSERT_TRACE_SERVICE).run(serviceId(service), merged.startNs, key);
    const rootOperation = `${merged.rootService}\0${merged.rootOperation}`;
    if (!merged.rootHasParent && !ids.rootOperations.has(rootOperation)) {
      prepared(db, INSERT_ROOT_OPERATION).run(merged.rootService, merged.rootOperation);
      ids.rootOperations.add(rootOperation);
    }
    keys.set(traceId, key);
  }

  const logTraceKey = (traceId: string): number | null => {
    if (traceId === '') return null;
    const known = keys.get(traceId);
    if (known !== undefined) return known;
    const stored = selectTrace.get(traceId);
    const key = stored ? Number(stored.trace_key) : insertTraceId(traceId);
    keys.set(traceId, key);
    return key;
  };

  const insertSpan = prepared(db, INSERT_SPAN);
  const insertLog = prepared(db, INSERT_LOG);
  let spans = 0;
  let logs = 0;
  for (const batch of batches) {
    for (const r of batch.spans) {
      insertSpan.run(
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
      insertLog.run(
        logTraceKey(r.traceId),
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
    spans += batch.spans.length;
    logs += batch.logs.length;
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
