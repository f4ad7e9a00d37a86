// Builders and temporary files shared by the store's tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { emptyScope, newLogRecord, newSpan, setAttribute, SpanKind, type Attributes, type AnyValue, type LogRecord, type Resource, type Span } from '../model';

export function tempDir(): { dir: string; file: (name: string) => string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'hopscope-store-'));
  return { dir, file: (name) => path.join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function attributes(entries: Record<string, AnyValue>): Attributes {
  const a: Attributes = {};
  for (const [k, v] of Object.entries(entries)) setAttribute(a, k, v);
  return a;
}

export function resource(service: string, extra: Record<string, AnyValue> = {}): Resource {
  return { attributes: attributes({ 'service.name': service, ...extra }), droppedAttributesCount: 0, schemaUrl: '' };
}

export const T0 = 1_700_000_000_000_000_000n;

export function traceId(n: number): string {
  return n.toString(16).padStart(32, '0');
}

export function spanId(n: number): string {
  return n.toString(16).padStart(16, '0');
}

export function span(over: Partial<Span> & { traceId: string; spanId: string }): Span {
  return newSpan({ flags: 1, name: 'op', kind: SpanKind.INTERNAL, startNs: T0, endNs: T0 + 1000n, resource: resource('svc'), scope: emptyScope(), ...over });
}

export function log(over: Partial<LogRecord> = {}): LogRecord {
  return newLogRecord({ timeNs: T0, observedNs: T0, severityNumber: 9, severityText: 'INFO', body: 'hello', resource: resource('svc'), scope: emptyScope(), ...over });
}
