export type OtlpSignal = 'traces' | 'logs' | 'metrics';

/** ExportTracePartialSuccess.rejected_spans, ExportLogsPartialSuccess.rejected_log_records, … in OTLP/JSON. */
const REJECTED_JSON_KEY: Record<OtlpSignal, string> = {
  traces: 'rejectedSpans',
  logs: 'rejectedLogRecords',
  metrics: 'rejectedDataPoints',
};

/**
 * An Export{Trace,Logs,Metrics}ServiceResponse. It carries partial_success (field 1: rejected count
 * as int64 field 1, error_message field 2) only when something was rejected or there is a message;
 * otherwise it is the empty message. The field numbers are the same for every signal; only the JSON
 * name of the rejected count differs, hence `signal`.
 */
export function encodeExportResponse(
  format: 'proto' | 'json',
  rejected: number,
  errorMessage: string,
  signal: OtlpSignal = 'traces',
): Uint8Array {
  const partial = rejected > 0 || errorMessage !== '';
  if (format === 'json') {
    const partialSuccess: Record<string, string> = {};
    if (rejected > 0) partialSuccess[REJECTED_JSON_KEY[signal]] = String(rejected);
    if (errorMessage !== '') partialSuccess.errorMessage = errorMessage;
    return new TextEncoder().encode(JSON.stringify(partial ? { partialSuccess } : {}));
  }
  if (!partial) return new Uint8Array(0);
  const inner: number[] = [];
  if (rejected > 0) inner.push(0x08, ...varint(rejected));
  if (errorMessage !== '') {
    const text = new TextEncoder().encode(errorMessage);
    inner.push(0x12, ...varint(text.length), ...text);
  }
  return Uint8Array.from([0x0a, ...varint(inner.length), ...inner]);
}

function varint(n: number): number[] {
  const out: number[] = [];
  let v = Math.trunc(n);
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}
