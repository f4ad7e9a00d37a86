import { SPAN_KIND_NAMES, STATUS_CODE_NAMES, type SpanKind, type StatusCode } from '../../../common/telemetry';
import type { WireAnyValue, WireAttributes } from '../../../common/wire';

export type ValueType = 'string' | 'bool' | 'int' | 'double' | 'bytes' | 'array' | 'map' | 'empty';

export function valueType(v: WireAnyValue): ValueType {
  if (v === null) return 'empty';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'double';
  if (Array.isArray(v)) return 'array';
  if ('int' in v) return 'int';
  if ('double' in v) return 'double';
  if ('bytes' in v) return 'bytes';
  return 'map';
}

/** One line of text for an attribute value; strings inside arrays and maps are quoted. */
export function displayValue(v: WireAnyValue, nested = false): string {
  if (v === null) return nested ? 'null' : '';
  if (typeof v === 'string') return nested ? JSON.stringify(v) : v;
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (Array.isArray(v)) return `[${v.map((x) => displayValue(x, true)).join(', ')}]`;
  if ('int' in v) return v.int;
  if ('double' in v) return v.double;
  if ('bytes' in v) return `base64:${v.bytes}`;
  return `{${Object.entries(v.kvlist).map(([k, x]) => `${k}: ${displayValue(x, true)}`).join(', ')}}`;
}

/** Attributes as sorted [key, text] pairs, for tables and search. */
export function attributeEntries(attrs: WireAttributes): [string, string, ValueType][] {
  return Object.keys(attrs)
    .sort()
    .map((k) => [k, displayValue(attrs[k]), valueType(attrs[k])]);
}

/** A wire value back as plain JSON for the raw view: ints as numbers when exact, else strings. */
export function plainValue(v: WireAnyValue): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(plainValue);
  if ('int' in v) return Number.isSafeInteger(Number(v.int)) ? Number(v.int) : v.int;
  if ('double' in v) return v.double;
  if ('bytes' in v) return v.bytes;
  return plainAttributes(v.kvlist);
}

export function plainAttributes(attrs: WireAttributes): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(attrs)) Object.defineProperty(out, k, { value: plainValue(attrs[k]), enumerable: true, writable: true, configurable: true });
  return out;
}

export function spanKindName(kind: number): string {
  return SPAN_KIND_NAMES[kind as SpanKind] ?? `kind ${kind}`;
}

export function statusCodeName(code: number): string {
  return STATUS_CODE_NAMES[code as StatusCode] ?? `status ${code}`;
}

/** OTLP severity number → its short name (TRACE 1–4 … FATAL 21–24). */
export function severityName(n: number, text = ''): string {
  if (text) return text.toUpperCase();
  if (n <= 0) return 'UNSET';
  const names = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
  return names[Math.min(5, Math.floor((n - 1) / 4))];
}

export type SeverityLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'unset';

export function severityLevel(n: number): SeverityLevel {
  if (n <= 0) return 'unset';
  return (['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const)[Math.min(5, Math.floor((n - 1) / 4))];
}
