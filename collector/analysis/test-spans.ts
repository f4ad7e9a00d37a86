// Hand-built model spans for the analysis unit tests: times in ms from a fixed epoch, short ids padded.
import type { Resource, Span } from '../model';
import { SpanKind, emptyScope, newSpan, setAttribute } from '../model';

const epochNs = 1_750_000_000_000_000_000n;
export const TRACE = 'a'.repeat(32);

export function resource(service: string, hostName?: string): Resource {
  const attributes = {};
  setAttribute(attributes, 'service.name', service);
  if (hostName !== undefined) setAttribute(attributes, 'host.name', hostName);
  return { attributes, droppedAttributesCount: 0, schemaUrl: '' };
}

const defaultResource = resource('svc');

export interface SpanSpec {
  id: string;
  parent?: string;
  trace?: string;
  name?: string;
  kind?: SpanKind;
  /** ms after the epoch */
  start: number;
  end: number;
  flags?: number;
  resource?: Resource;
}

export function msToNs(ms: number): bigint {
  return epochNs + BigInt(Math.round(ms * 1e6));
}

export function span(spec: SpanSpec): Span {
  return newSpan({
    traceId: spec.trace ?? TRACE,
    spanId: spec.id.padStart(16, '0'),
    parentSpanId: spec.parent?.padStart(16, '0'),
    flags: spec.flags,
    name: spec.name ?? spec.id,
    kind: spec.kind ?? SpanKind.INTERNAL,
    startNs: msToNs(spec.start),
    endNs: msToNs(spec.end),
    resource: spec.resource ?? defaultResource,
    scope: emptyScope(),
  });
}

/** The span ids of rows, unpadded, in row order. */
export function ids(spans: readonly Span[], rows: Iterable<number> = spans.keys()): string[] {
  return [...rows].map((r) => spans[r].spanId.replace(/^0+(?=.)/, ''));
}
