import { isKeyValueList, serviceName, type AnyValue, type Attributes, type Resource, type Scope, type Span } from '../model';
import type { StoredLog, TraceSummary } from '../store/types';
import type { WireAnyValue, WireAttributes, WireLog, WireResource, WireScope, WireSpan, WireTelemetry, WireTraceSummary } from '../../common/wire';

export function encodeAnyValue(v: AnyValue): WireAnyValue {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return { int: v.toString() };
  if (typeof v === 'number') return Number.isFinite(v) ? v : { double: String(v) as 'NaN' | 'Infinity' | '-Infinity' };
  if (v instanceof Uint8Array) return { bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  if (Array.isArray(v)) return v.map(encodeAnyValue);
  if (isKeyValueList(v)) return { kvlist: encodeAttributes(v.kvlist) };
  return null;
}

export function encodeAttributes(attrs: Attributes): WireAttributes {
  const out: WireAttributes = {};
  for (const key of Object.keys(attrs)) {
    // defineProperty so that a `__proto__` key stays a plain key (JSON.stringify still writes it)
    Object.defineProperty(out, key, { value: encodeAnyValue(attrs[key]), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * Collects the resources and scopes of one response, each once. Spans of one batch share them
 * by reference; spans read back from the store may carry equal copies, so content decides.
 */
export class TelemetryTables {
  readonly resources: WireResource[] = [];
  readonly scopes: WireScope[] = [];
  private readonly byResource = new Map<Resource, number>();
  private readonly byScope = new Map<Scope, number>();
  private readonly byContent = new Map<string, number>();

  resourceIndex(r: Resource): number {
    let i = this.byResource.get(r);
    if (i === undefined) {
      const wire: WireResource = {
        service: serviceName(r),
        attributes: encodeAttributes(r.attributes),
        droppedAttributesCount: r.droppedAttributesCount,
        schemaUrl: r.schemaUrl,
      };
      i = this.intern(`r${JSON.stringify(wire)}`, this.resources, wire);
      this.byResource.set(r, i);
    }
    return i;
  }

  scopeIndex(s: Scope): number {
    let i = this.byScope.get(s);
    if (i === undefined) {
      const wire: WireScope = {
        name: s.name,
        version: s.version,
        attributes: encodeAttributes(s.attributes),
        droppedAttributesCount: s.droppedAttributesCount,
        schemaUrl: s.schemaUrl,
      };
      i = this.intern(`s${JSON.stringify(wire)}`, this.scopes, wire);
      this.byScope.set(s, i);
    }
    return i;
  }

  tables(): WireTelemetry {
    return { resources: this.resources, scopes: this.scopes };
  }

  private intern<T>(key: string, list: T[], value: T): number {
    let i = this.byContent.get(key);
    if (i === undefined) {
      i = list.push(value) - 1;
      this.byContent.set(key, i);
    }
    return i;
  }
}

export function encodeSpan(s: Span, tables: TelemetryTables): WireSpan {
  return {
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId,
    traceState: s.traceState,
    flags: s.flags,
    name: s.name,
    kind: s.kind,
    startNs: s.startNs.toString(),
    endNs: s.endNs.toString(),
    attributes: encodeAttributes(s.attributes),
    droppedAttributesCount: s.droppedAttributesCount,
    events: s.events.map((e) => ({
      timeNs: e.timeNs.toString(),
      name: e.name,
      attributes: encodeAttributes(e.attributes),
      droppedAttributesCount: e.droppedAttributesCount,
    })),
    droppedEventsCount: s.droppedEventsCount,
    links: s.links.map((l) => ({
      traceId: l.traceId,
      spanId: l.spanId,
      traceState: l.traceState,
      attributes: encodeAttributes(l.attributes),
      droppedAttributesCount: l.droppedAttributesCount,
      flags: l.flags,
    })),
    droppedLinksCount: s.droppedLinksCount,
    status: { code: s.status.code, message: s.status.message },
    resource: tables.resourceIndex(s.resource),
    scope: tables.scopeIndex(s.scope),
  };
}

export function encodeLog(l: StoredLog, tables: TelemetryTables): WireLog {
  return {
    id: l.id,
    timeNs: l.timeNs.toString(),
    observedNs: l.observedNs.toString(),
    severityNumber: l.severityNumber,
    severityText: l.severityText,
    body: encodeAnyValue(l.body),
    attributes: encodeAttributes(l.attributes),
    droppedAttributesCount: l.droppedAttributesCount,
    flags: l.flags,
    traceId: l.traceId,
    spanId: l.spanId,
    eventName: l.eventName,
    resource: tables.resourceIndex(l.resource),
    scope: tables.scopeIndex(l.scope),
  };
}

export function encodeTraceSummary(t: TraceSummary, findingCount: number): WireTraceSummary {
  return {
    traceId: t.traceId,
    rootService: t.rootService,
    rootOperation: t.rootOperation,
    startNs: t.startNs.toString(),
    durationNs: t.durationNs.toString(),
    spanCount: t.spanCount,
    errorCount: t.errorCount,
    findingCount,
    services: t.services,
  };
}

/** A SQL result cell as JSON: bigints as decimal strings, blobs as base64. */
export function jsonCell(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  return value;
}

