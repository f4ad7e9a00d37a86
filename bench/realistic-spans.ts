// Spans shaped like a Go microservice's under otelhttp/otelgrpc/otelsql: a server span, a few client
// calls, a database query, ~15 attributes each, resources shared by reference per service.
import { randomHex, seededRandom } from '../fixtures/ids';
import { newSpan, setAttribute, SpanKind, StatusCode, type Attributes, type Resource, type Scope, type Span } from '../collector/model';

const SERVICES = ['frontend', 'checkout', 'cart', 'payment', 'shipping', 'inventory'];
const ROUTES = ['/api/orders/{id}', '/api/cart', '/api/checkout', '/api/products/{sku}', '/healthz'];
const TABLES = ['orders', 'carts', 'payments', 'shipments', 'stock'];
const HOUR_NS = 3_600_000_000_000n;

function attrs(entries: [string, Attributes[string]][]): Attributes {
  const a: Attributes = {};
  for (const [k, v] of entries) setAttribute(a, k, v);
  return a;
}

/** `count` spans in traces of 8 (server → handler → client calls → server → db), deterministic for a seed. */
export function makeRealisticSpans(count: number, seed: number): Span[] {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const hex = (digits: number) => randomHex(rnd, digits);
  const resources = new Map<string, Resource>();
  const resource = (service: string): Resource => {
    let r = resources.get(service);
    if (!r) {
      const pod = `${service}-7d9f8b6c5-${hex(5)}`;
      r = {
        attributes: attrs([
          ['service.name', service],
          ['service.version', '1.14.2'],
          ['service.namespace', 'shop'],
          ['deployment.environment.name', 'staging'],
          ['host.name', pod],
          ['k8s.namespace.name', 'shop'],
          ['k8s.pod.name', pod],
          ['k8s.deployment.name', service],
          ['telemetry.sdk.language', 'go'],
          ['telemetry.sdk.name', 'opentelemetry'],
          ['telemetry.sdk.version', '1.28.0'],
          ['process.runtime.name', 'go'],
          ['process.runtime.version', 'go1.22.5'],
          ['process.pid', BigInt(1 + Math.floor(rnd() * 30000))],
        ]),
        droppedAttributesCount: 0,
        schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
      };
      resources.set(service, r);
    }
    return r;
  };
  const httpScope: Scope = { name: 'go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp', version: '0.53.0', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' };
  const sqlScope: Scope = { name: 'github.com/XSAM/otelsql', version: '0.32.0', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' };

  const spans: Span[] = [];
  let t0 = 1_700_000_000_000_000_000n + BigInt(seed) * HOUR_NS;
  while (spans.length < count) {
    const traceId = hex(32);
    const caller = pick(SERVICES);
    const callee = pick(SERVICES);
    const route = pick(ROUTES);
    const failed = rnd() < 0.05;
    t0 += BigInt(Math.floor(rnd() * 5_000_000));
    const make = (name: string, service: string, kind: SpanKind, parent: string, depth: number, scope: Scope, extra: [string, Attributes[string]][]): Span => {
      const start = t0 + BigInt(depth * 150_000 + Math.floor(rnd() * 100_000));
      const end = start + BigInt(200_000 + Math.floor(rnd() * 40_000_000));
      const span = newSpan({
        traceId,
        spanId: hex(16),
        parentSpanId: parent,
        flags: 0x101,
        name,
        kind,
        startNs: start,
        endNs: end,
        attributes: attrs([
          ['network.protocol.version', '1.1'],
          ['network.peer.address', `10.42.${Math.floor(rnd() * 255)}.${Math.floor(rnd() * 255)}`],
          ['network.peer.port', BigInt(30000 + Math.floor(rnd() * 30000))],
          ['thread.name', 'goroutine'],
          ['code.function', `main.(*handler).${name.replace(/\W/g, '')}`],
          ['code.lineno', BigInt(40 + Math.floor(rnd() * 400))],
          ...extra,
        ]),
        events: failed && depth === 0 ? [{ timeNs: end - 1000n, name: 'exception', attributes: attrs([['exception.type', '*errors.errorString'], ['exception.message', 'context deadline exceeded']]), droppedAttributesCount: 0 }] : [],
        status: failed && depth <= 1 ? { code: StatusCode.ERROR, message: 'context deadline exceeded' } : undefined,
        resource: resource(service),
        scope,
      });
      spans.push(span);
      return span;
    };
    const http = (method: string, status: bigint): [string, Attributes[string]][] => [
      ['http.request.method', method],
      ['http.route', route],
      ['url.path', route.replace('{id}', String(Math.floor(rnd() * 100000))).replace('{sku}', hex(8))],
      ['url.scheme', 'http'],
      ['server.address', `${callee}.shop.svc.cluster.local`],
      ['server.port', 8080n],
      ['http.response.status_code', status],
      ['user_agent.original', 'Go-http-client/1.1'],
      ['http.request.body.size', BigInt(Math.floor(rnd() * 4096))],
    ];
    const status = failed ? 503n : 200n;
    const root = make(`GET ${route}`, caller, SpanKind.SERVER, '', 0, httpScope, http('GET', status));
    const handler = make(`handle ${route}`, caller, SpanKind.INTERNAL, root.spanId, 1, httpScope, [['app.request_id', hex(16)], ['app.user_id', BigInt(Math.floor(rnd() * 1e6))], ['app.cache_hit', rnd() < 0.5], ['app.retry_ratio', rnd()]]);
    const client = make(`POST`, caller, SpanKind.CLIENT, handler.spanId, 2, httpScope, http('POST', status));
    const server = make(`POST ${route}`, callee, SpanKind.SERVER, client.spanId, 3, httpScope, http('POST', status));
    const table = pick(TABLES);
    const dbAttrs: [string, Attributes[string]][] = [
      ['db.system', 'postgresql'],
      ['db.namespace', 'shop'],
      ['db.operation.name', 'SELECT'],
      ['db.collection.name', table],
      ['db.query.text', `SELECT id, status, updated_at FROM ${table} WHERE id = $1 AND tenant_id = $2 LIMIT 50`],
      ['server.address', 'postgres.shop.svc.cluster.local'],
      ['server.port', 5432n],
      ['db.response.returned_rows', BigInt(Math.floor(rnd() * 50))],
    ];
    make(`SELECT ${table}`, callee, SpanKind.CLIENT, server.spanId, 4, sqlScope, dbAttrs);
    make(`SELECT ${table}`, callee, SpanKind.CLIENT, server.spanId, 5, sqlScope, dbAttrs);
    make(`publish order.events`, callee, SpanKind.PRODUCER, server.spanId, 6, httpScope, [['messaging.system', 'kafka'], ['messaging.destination.name', 'order.events'], ['messaging.message.id', hex(16)], ['messaging.operation.type', 'publish']]);
    make(`GET`, caller, SpanKind.CLIENT, handler.spanId, 7, httpScope, http('GET', 200n));
  }
  return spans.slice(0, count);
}
