// Which format a file is in, from its first bytes — never from its name.
import { InputError } from '../errors';

export type FileFormat =
  | 'otlp-json'
  | 'otlp-jsonl'
  | 'otlp-proto'
  | 'otlp-proto-stream'
  | 'jaeger-ui'
  | 'jaeger-api-v3'
  | 'tempo'
  | 'zipkin-v2'
  | 'zipkin-v1';

/** How much of a file detectFormat wants to see. */
export const HEAD_BYTES = 64 * 1024;

export const UNDERSTOOD_FORMATS =
  'OTLP JSON, OTLP JSON lines (collector file exporter), OTLP protobuf (one ExportTraceServiceRequest or ' +
  'ExportLogsServiceRequest, or the file exporter\'s length-prefixed stream), Jaeger UI JSON, Jaeger api_v3 JSON, ' +
  'Tempo JSON, Zipkin v2 JSON and Zipkin v1 JSON';

/** Formats recognised well enough to name, but not imported; each message says why and what to use instead. */
const RECOGNISED_UNSUPPORTED: [test: (paths: Set<string>) => boolean, message: string][] = [
  [
    (p) => p.has('.spans[].traceIdLow') || p.has('.spans[].traceIdHigh'),
    'recognised as a Jaeger Thrift batch written as JSON, which is not supported: its 64-bit ids are JSON numbers, ' +
      'which lose precision when parsed. Export the trace from Jaeger UI ("Download JSON") or its api_v3 instead',
  ],
  [
    (p) => p.has('.spans[].traceId') && p.has('.spans[].spanId') && p.has('.spans[].operationName'),
    'recognised as Jaeger\'s internal model in protobuf JSON (base64 ids, RFC 3339 times), which is not supported. ' +
      'Export the trace from Jaeger UI ("Download JSON") or its api_v3 instead',
  ],
];

/**
 * The format of a file from its first bytes (HEAD_BYTES is plenty). JSON is told apart by the
 * field names it uses, so a head cut mid-document still works; protobuf by its framing.
 */
export function detectFormat(head: Uint8Array): FileFormat {
  if (head.length === 0) throw new InputError('the file is empty');
  if (head[0] === 0x1f && head[1] === 0x8b) throw new InputError('the data is gzip-compressed; decompress it first');
  const start = firstNonSpace(head);
  if (start === head.length) throw new InputError('the file holds only white space');
  if (head[start] === 0x7b /* { */ || head[start] === 0x5b /* [ */) return detectJson(new TextDecoder().decode(head.subarray(start)));
  // A message never starts with 0x00; a stream does unless its first frame is over 16 MiB.
  if (head[0] === 0 && looksLikeProtoStream(head)) return 'otlp-proto-stream';
  if (looksLikeProtoMessage(head)) return 'otlp-proto';
  if (looksLikeProtoStream(head)) return 'otlp-proto-stream';
  throw new InputError(`not a trace or log file Hopscope understands (neither JSON nor OTLP protobuf). Understood formats: ${UNDERSTOOD_FORMATS}`);
}

function firstNonSpace(bytes: Uint8Array): number {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  return i;
}

function detectJson(text: string): FileFormat {
  const { paths, documents } = scanJsonHead(text);
  const has = (...candidates: string[]) => candidates.some((c) => paths.has(c));
  if (has('.resourceSpans', '.resourceLogs', '.resourceMetrics', '.resource_spans', '.resource_logs', '.resource_metrics')) {
    return documents > 1 ? 'otlp-jsonl' : 'otlp-json';
  }
  if (has('.result')) return 'jaeger-api-v3';
  if (has('.batches', '.trace.resourceSpans')) return 'tempo';
  if (has('.data[].spans', '.data[].traceID', '.data.spans', '[].operationName') || (has('.spans') && has('.traceID', '.processes'))) return 'jaeger-ui';
  if (has('.data') && has('.errors', '.total')) return 'jaeger-ui';
  for (const span of ['', '[]', '[][]']) {
    if (!has(`${span}.traceId`) || !has(`${span}.id`)) continue;
    return has(`${span}.binaryAnnotations`, `${span}.annotations[].endpoint`) ? 'zipkin-v1' : 'zipkin-v2';
  }
  for (const [test, message] of RECOGNISED_UNSUPPORTED) if (test(paths)) throw new InputError(message);
  if (documents === 1 && paths.size === 0 && /^\[\s*\]/.test(text)) return 'zipkin-v2';
  const keys = [...paths].filter((p) => /^(\[\])?\.[^.[]+$/.test(p)).slice(0, 8);
  throw new InputError(
    `JSON that is not a trace or log format Hopscope understands${keys.length ? ` (its fields: ${keys.join(', ')})` : ''}. Understood formats: ${UNDERSTOOD_FORMATS}`,
  );
}

interface Frame {
  path: string;
  isObject: boolean;
  /** The key whose value comes next, in an object. */
  key?: string;
}

/**
 * The field paths in a JSON text that may be cut anywhere: `.data[].spans` means key `spans` in an
 * element of the array under key `data`. Paths deeper than five levels are not recorded.
 * `documents` counts the top-level values started (more than one: JSON lines).
 */
function scanJsonHead(text: string): { paths: Set<string>; documents: number } {
  const paths = new Set<string>();
  const stack: Frame[] = [];
  let documents = 0;
  let expectKey = false;
  const valuePath = () => {
    const top = stack[stack.length - 1];
    if (!top) return '';
    return top.isObject ? `${top.path}.${top.key ?? ''}` : `${top.path}[]`;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    switch (c) {
      case '{':
      case '[':
        if (stack.length === 0) documents++;
        stack.push({ path: valuePath(), isObject: c === '{' });
        expectKey = c === '{';
        break;
      case '}':
      case ']':
        stack.pop();
        expectKey = false;
        break;
      case ',':
        expectKey = stack[stack.length - 1]?.isObject ?? false;
        break;
      case '"': {
        let end = i + 1;
        while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
        const top = stack[stack.length - 1];
        if (expectKey && top?.isObject) {
          top.key = text.slice(i + 1, end);
          if (stack.length <= 5) paths.add(`${top.path}.${top.key}`);
          expectKey = false;
        }
        i = end;
        break;
      }
    }
  }
  return { paths, documents };
}

/** The collector file exporter's proto mode: 4-byte big-endian length, then an Export*ServiceRequest. */
function looksLikeProtoStream(head: Uint8Array): boolean {
  let offset = 0;
  let frames = 0;
  while (offset + 5 <= head.length) {
    const length = ((head[offset] << 24) | (head[offset + 1] << 16) | (head[offset + 2] << 8) | head[offset + 3]) >>> 0;
    if (length === 0 || head[offset + 4] !== 0x0a) return false;
    frames++;
    offset += 4 + length;
  }
  return frames > 0;
}

/**
 * An Export*ServiceRequest holds only field 1 (resource_spans / resource_logs), repeated, and each
 * of those starts with one of its own fields 1–3 (resource, scope_spans / scope_logs, schema_url).
 */
function looksLikeProtoMessage(head: Uint8Array): boolean {
  let offset = 0;
  while (offset < head.length) {
    if (head[offset] !== 0x0a) return false;
    let length = 0;
    let i = offset + 1;
    for (let shift = 0; ; shift += 7, i++) {
      if (i >= head.length) return true;
      if (i === offset + 6) return false;
      length += (head[i] & 0x7f) * 2 ** shift;
      if ((head[i] & 0x80) === 0) break;
    }
    const content = i + 1;
    if (length > 0 && content < head.length && ![0x0a, 0x12, 0x1a].includes(head[content])) return false;
    offset = content + length;
  }
  return true;
}
