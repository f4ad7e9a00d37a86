// OTLP enumerations both sides read, and the bits the trace assembly sets on waterfall rows.

export const SpanKind = {
  UNSPECIFIED: 0,
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
} as const;
export type SpanKind = (typeof SpanKind)[keyof typeof SpanKind];

/** Lower-case names, by SpanKind number, as the UI shows them. */
export const SPAN_KIND_NAMES: Record<SpanKind, string> = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;
export type StatusCode = (typeof StatusCode)[keyof typeof StatusCode];

export const STATUS_CODE_NAMES: Record<StatusCode, string> = ['unset', 'ok', 'error'];

/** Span.flags bits (opentelemetry-proto SpanFlags). */
export const SpanFlags = {
  TRACE_FLAGS_MASK: 0xff,
  /** W3C sampled bit inside the trace flags. */
  SAMPLED: 0x01,
  CONTEXT_HAS_IS_REMOTE: 0x100,
  CONTEXT_IS_REMOTE: 0x200,
} as const;

/** Bits the trace assembly sets per row (`WireTraceTree.flags`). */
export const RowFlag = {
  /** The parent id names a span that is not in this trace; the row sits under a placeholder for it. */
  ORPHAN: 1,
  /** Another span of this trace has the same id and owns it (children attach to the owner). */
  DUPLICATE_ID: 2,
  SELF_PARENT: 4,
  /** The row is on a parent cycle; the cycle is cut above its earliest member, nothing is dropped. */
  ON_CYCLE: 8,
  /** Client and server halves of one Zipkin-style shared span id: the server is the client's child. */
  SHARED_ID: 16,
  /** The clock-skew detector reports this span: it does not fit inside its synchronous parent on another host. */
  CLOCK_SKEW: 32,
} as const;
