// Store → OTLP JSON lines, for `hopscope export`: a file that Hopscope's importer, the OpenTelemetry
// Collector's `otlpjsonfile` receiver and Jaeger UI's upload all read.
//
// Layout: JSON lines (the OTLP file format the collector's file exporter writes), each line one
// ExportTraceServiceRequest or ExportLogsServiceRequest. Traces are exported in groups of at most
// TRACES_PER_GROUP traces and SPANS_PER_GROUP spans (a larger trace is a group of its own): the
// group's trace request, then, if any, a logs request with the records that carry one of its trace
// ids. With `all`, the records of no exported trace (no trace context, or a trace without spans)
// follow at the end. A request longer than MAX_LINE_BYTES is split into several lines, because the
// otlpjsonfile receiver cuts lines at its `max_log_size` (1 MiB by default); a single span or record
// longer than that stays whole. So a small export is line 1 traces, line 2 logs.
//
// Readers: the otlpjsonfile receiver (with `start_at: beginning`) unmarshals every line in each
// pipeline and a traces pipeline finds no spans in a logs line, and vice versa; Jaeger UI's upload
// collects `resourceSpans` from every line. The file is written beside `out` and renamed into place
// once complete, so a failed or interrupted export leaves no half file under that name.
import { open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { InputError } from '../errors';
import { normalizeTraceId } from '../importers/ids';
import type { LogRecord, Span } from '../model';
import { encodeLogsJson, encodeTracesJson } from '../otlp';
import type { StoreReader } from '../store/types';

export type ExportSelection = { traceIds: string[] } | { all: true };

export interface ExportCounts {
  traces: number;
  spans: number;
  logs: number;
}

/** The otlpjsonfile receiver's default `max_log_size`, less the newline. */
export const MAX_LINE_BYTES = 2 ** 20 - 1;
export const TRACES_PER_GROUP = 100;
export const SPANS_PER_GROUP = 10_000;
const LOGS_PER_PAGE = 1000;

interface TraceRef {
  traceId: string;
  spanCount: number;
}

/**
 * Writes the selected traces (with their logs) to `out` as OTLP JSON lines; see the header for the
 * layout. Trace ids not in the store, or not hex, are an InputError naming them, raised before
 * anything is written. `onProgress` is called after each group; `signal` is checked between groups.
 */
export async function exportOtlpJson(
  reader: StoreReader,
  selection: ExportSelection,
  out: string,
  onProgress?: (counts: ExportCounts) => void,
  signal?: AbortSignal,
): Promise<ExportCounts> {
  const traces = 'all' in selection ? allTraces(reader) : selectedTraces(reader, selection.traceIds);
  const partial = `${out}.partial-${process.pid}`;
  const file = await openForWriting(partial, out);
  const counts: ExportCounts = { traces: 0, spans: 0, logs: 0 };
  try {
    // Trace ids already written: a trace paged twice (it grew while we read) is written once, and with `all` the logs tail skips them.
    const exported = new Set<string>();
    for (const group of groups(traces)) {
      signal?.throwIfAborted();
      const ids = group.map((t) => t.traceId).filter((id) => !exported.has(id));
      const spans = ids.flatMap((id) => reader.getTrace(id));
      const logs = ids.flatMap((id) => reader.logsForTrace(id));
      await writeRequests(file, spans, encodeTracesJson);
      await writeRequests(file, logs, encodeLogsJson);
      for (const id of ids) exported.add(id);
      counts.traces += ids.length;
      counts.spans += spans.length;
      counts.logs += logs.length;
      onProgress?.({ ...counts });
    }
    if ('all' in selection) {
      for (const page of logPages(reader)) {
        signal?.throwIfAborted();
        const logs = page.filter((l) => !exported.has(l.traceId));
        await writeRequests(file, logs, encodeLogsJson);
        counts.logs += logs.length;
        onProgress?.({ ...counts });
      }
    }
    await file.close();
    await rename(partial, out);
    return counts;
  } catch (e) {
    await file.close().catch(() => {});
    await rm(partial, { force: true });
    throw e;
  }
}

/** The ids, checked and de-duplicated; every unknown id is named in one InputError. */
function selectedTraces(reader: StoreReader, raw: string[]): TraceRef[] {
  if (raw.length === 0) throw new InputError('no trace ids to export');
  const ids = [...new Set(raw.map((id) => normalizeTraceId(id, '--trace')))];
  const refs: TraceRef[] = [];
  const unknown: string[] = [];
  for (const traceId of ids) {
    const summary = reader.getTraceSummary(traceId);
    // A trace of which only logs arrived is still a trace the store knows.
    if (summary) refs.push({ traceId, spanCount: summary.spanCount });
    else if (reader.searchLogs({ traceId, limit: 1 }).items.length > 0) refs.push({ traceId, spanCount: 0 });
    else unknown.push(traceId);
  }
  if (unknown.length > 0) {
    throw new InputError(`${unknown.length === 1 ? 'trace' : `${unknown.length} traces`} not in the store: ${unknown.join(', ')}`, { field: '--trace' });
  }
  return refs;
}

/** Every trace with spans, newest first, a page at a time. */
function* allTraces(reader: StoreReader): Generator<TraceRef> {
  let cursor: string | undefined;
  do {
    const page = reader.searchTraces({ limit: TRACES_PER_GROUP, cursor });
    yield* page.items;
    cursor = page.nextCursor;
  } while (cursor !== undefined);
}

function* logPages(reader: StoreReader): Generator<LogRecord[]> {
  let cursor: string | undefined;
  do {
    const page = reader.searchLogs({ limit: LOGS_PER_PAGE, cursor });
    yield page.items;
    cursor = page.nextCursor;
  } while (cursor !== undefined);
}

function* groups(traces: Iterable<TraceRef>): Generator<TraceRef[]> {
  let group: TraceRef[] = [];
  let spans = 0;
  for (const trace of traces) {
    if (group.length > 0 && (group.length === TRACES_PER_GROUP || spans + trace.spanCount > SPANS_PER_GROUP)) {
      yield group;
      group = [];
      spans = 0;
    }
    group.push(trace);
    spans += trace.spanCount;
  }
  if (group.length > 0) yield group;
}

async function writeRequests<T extends Span | LogRecord>(file: FileHandle, items: T[], encode: (items: T[]) => object): Promise<void> {
  if (items.length === 0) return;
  for (const line of requestLines(items, encode)) await file.write(`${line}\n`);
}

/** One request, or halves of it until each fits in MAX_LINE_BYTES (a single item always makes a line). */
function* requestLines<T>(items: T[], encode: (items: T[]) => object): Generator<string> {
  const line = JSON.stringify(encode(items));
  if (items.length === 1 || Buffer.byteLength(line) <= MAX_LINE_BYTES) {
    yield line;
    return;
  }
  const half = Math.ceil(items.length / 2);
  yield* requestLines(items.slice(0, half), encode);
  yield* requestLines(items.slice(half), encode);
}

async function openForWriting(partial: string, out: string): Promise<FileHandle> {
  try {
    return await open(partial, 'w');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'ENOTDIR' || code === 'EROFS') {
      throw new InputError(`cannot write ${out}: ${(e as Error).message}`, { file: out });
    }
    throw e;
  }
}
