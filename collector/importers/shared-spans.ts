import { createHash } from 'node:crypto';
import { SpanKind, type Span } from '../model';

/**
 * Zipkin-style instrumentation (B3 with shared span ids: Finagle, Brave, Envoy) gives the client
 * and the server side of one RPC the same span id. As Jaeger's span-id deduper does, each SERVER
 * span whose id is also a CLIENT span's id in the same trace gets an id of its own and becomes the
 * client span's child, and spans whose parent was the shared id move under the server side (under
 * the server span of their own resource when several servers answered one client). The new id is
 * derived from a hash of trace id, shared id and server index, so importing a file twice gives the
 * same ids. Other duplicate ids are kept as they are: the analysis reports them.
 */
export function splitSharedSpans(spans: Span[]): void {
  const used = new Set<string>();
  const clients = new Set<string>();
  for (const span of spans) {
    used.add(span.traceId + span.spanId);
    if (span.kind === SpanKind.CLIENT) clients.add(span.traceId + span.spanId);
  }
  if (clients.size === 0) return;

  const serversBySharedId = new Map<string, Span[]>();
  for (const span of spans) {
    const shared = span.traceId + span.spanId;
    if (span.kind !== SpanKind.SERVER || !clients.has(shared)) continue;
    const servers = serversBySharedId.get(shared) ?? [];
    span.parentSpanId = span.spanId;
    span.spanId = freshSpanId(span.traceId, span.spanId, servers.length, used);
    servers.push(span);
    serversBySharedId.set(shared, servers);
  }
  for (const span of spans) {
    const servers = serversBySharedId.get(span.traceId + span.parentSpanId);
    if (!servers || servers.includes(span)) continue;
    span.parentSpanId = (servers.find((s) => s.resource === span.resource) ?? servers[0]).spanId;
  }
}

function freshSpanId(traceId: string, sharedId: string, index: number, used: Set<string>): string {
  for (let attempt = 0; ; attempt++) {
    const id = createHash('sha256').update(`${traceId}/${sharedId}/${index}/${attempt}`).digest('hex').slice(0, 16);
    if (id !== '0000000000000000' && !used.has(traceId + id)) {
      used.add(traceId + id);
      return id;
    }
  }
}
