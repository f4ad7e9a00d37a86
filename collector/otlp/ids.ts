import type { LogRecord, Span } from '../model';

const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/** The wire names of the id fields, for the reason a record was rejected. */
export interface IdFieldNames {
  traceId: string;
  spanId: string;
  parentSpanId: string;
}

/**
 * Why a span cannot be stored (its trace id must be 16 bytes and its span id 8 bytes, neither all
 * zeros; a parent id must be 8 bytes or absent), or undefined when it can. Ids arrive as lowercase
 * hex of whatever length was sent. An all-zero parent id is the W3C "invalid" id and becomes ''.
 */
export function checkSpanIds(span: Span, names: IdFieldNames): string | undefined {
  const problem =
    requiredIdProblem(span.traceId, 16, names.traceId) ??
    requiredIdProblem(span.spanId, 8, names.spanId) ??
    optionalIdProblem(span.parentSpanId, 8, names.parentSpanId);
  if (problem === undefined && span.parentSpanId === ZERO_SPAN_ID) span.parentSpanId = '';
  return problem;
}

/**
 * Why a log record's trace context is unusable (ids of the wrong length), or undefined. A record
 * without trace context is fine; all-zero ids are the W3C "invalid" ids and become ''.
 */
export function checkLogIds(log: LogRecord, names: IdFieldNames): string | undefined {
  const problem = optionalIdProblem(log.traceId, 16, names.traceId) ?? optionalIdProblem(log.spanId, 8, names.spanId);
  if (problem !== undefined) return problem;
  if (log.traceId === ZERO_TRACE_ID) log.traceId = '';
  if (log.spanId === ZERO_SPAN_ID) log.spanId = '';
  return undefined;
}

function requiredIdProblem(hex: string, bytes: number, name: string): string | undefined {
  if (hex.length === bytes * 2) return hex === ZERO_TRACE_ID || hex === ZERO_SPAN_ID ? `${name} is all zeros` : undefined;
  return hex === '' ? `${name} is missing` : `${name} is ${hex.length / 2} bytes, expected ${bytes}`;
}

function optionalIdProblem(hex: string, bytes: number, name: string): string | undefined {
  return hex === '' || hex.length === bytes * 2 ? undefined : `${name} is ${hex.length / 2} bytes, expected ${bytes} or none`;
}

/** Collects rejected records: how many, and the first reason (later ones usually repeat it). */
export class Rejects {
  rejected = 0;
  rejectReason: string | undefined;

  add(where: string, problem: string): void {
    if (this.rejected++ === 0) this.rejectReason = `${where}: ${problem}`;
  }
}
