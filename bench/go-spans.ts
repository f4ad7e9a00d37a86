// Spans as a Go service's SDK exports them (otelhttp, otelgrpc, otelsql), built with the OpenTelemetry JS SDK
// and serialized with @opentelemetry/otlp-transformer, so the bytes are what a real exporter sends.
import { SpanKind, SpanStatusCode, context, trace, type Attributes, type HrTime, type Span as ApiSpan } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';

/** One incoming request and the calls its handler makes: a SERVER root, then gRPC and database CLIENT children. */
const SPANS_PER_TRACE = 8;
const T0_NS = 1_760_738_064_624_180_000n;

function hrTime(ns: bigint): HrTime {
  return [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
}

/**
 * `count` Go-style spans with ~15 attributes each, in traces of 8; span `first + i` gets the i-th shape, so
 * consecutive calls continue one another's timeline. Ids come from the SDK's random generator.
 */
export function buildGoServiceSpans(count: number, first = 0): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'checkout',
      'service.version': '1.14.2',
      'service.namespace': 'shop',
      'telemetry.sdk.language': 'go',
      'telemetry.sdk.name': 'opentelemetry',
      'telemetry.sdk.version': '1.28.0',
      'host.name': 'checkout-7d9c6b5f4-x2k8q',
      'k8s.namespace.name': 'shop',
      'k8s.pod.name': 'checkout-7d9c6b5f4-x2k8q',
      'k8s.deployment.name': 'checkout',
      'process.runtime.version': 'go1.22.5',
    }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const httpTracer = provider.getTracer('go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp', '0.53.0');
  const grpcTracer = provider.getTracer('go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc', '0.53.0');
  const sqlTracer = provider.getTracer('github.com/XSAM/otelsql', '0.32.0');

  let server: ApiSpan | undefined;
  let serverEnd: HrTime = [0, 0];
  for (let n = first; n < first + count; n++) {
    const position = n % SPANS_PER_TRACE;
    const start = T0_NS + BigInt(n) * 1_250_000n;
    const startTime = hrTime(start);
    const endTime = hrTime(start + 900_000n + BigInt(n % 7) * 10_000n);
    const common: Attributes = {
      'server.address': 'orders.shop.svc.cluster.local',
      'server.port': 8080,
      'network.peer.address': `10.42.${n % 16}.${n % 251}`,
      'network.protocol.version': '1.1',
      'net.host.name': 'checkout',
      'sampling.ratio': 0.25,
    };
    const requestId = `req-${Math.floor(n / SPANS_PER_TRACE).toString(16).padStart(8, '0')}`;
    let span: ApiSpan;
    if (position === 0 || server === undefined) {
      span = httpTracer.startSpan(
        'GET /api/orders/{id}',
        {
          kind: SpanKind.SERVER,
          startTime,
          attributes: {
            ...common,
            'http.request.method': 'GET',
            'http.route': '/api/orders/{id}',
            'http.response.status_code': 200,
            'http.request.body.size': 0,
            'http.response.body.size': 1024 + (n % 512),
            'url.scheme': 'http',
            'url.path': `/api/orders/${100000 + n}`,
            'user_agent.original': 'Go-http-client/1.1',
            'request.id': requestId,
          },
        },
        context.active(),
      );
      server = span;
      // the request lasts as long as the calls its handler makes
      serverEnd = hrTime(start + BigInt(SPANS_PER_TRACE) * 1_250_000n);
    } else {
      const parent = trace.setSpan(context.active(), server);
      span =
        position % 2 === 1
          ? grpcTracer.startSpan(
              'oteldemo.ProductCatalogService/GetProduct',
              {
                kind: SpanKind.CLIENT,
                startTime,
                attributes: {
                  ...common,
                  'rpc.system': 'grpc',
                  'rpc.service': 'oteldemo.ProductCatalogService',
                  'rpc.method': 'GetProduct',
                  'rpc.grpc.status_code': 0,
                  'url.full': `http://product-catalog:3550/oteldemo.ProductCatalogService/GetProduct?id=${n}`,
                  'http.request.method': 'POST',
                  'http.response.status_code': 200,
                  'message.count': 1,
                  'request.id': requestId,
                },
              },
              parent,
            )
          : sqlTracer.startSpan(
              'SELECT orders',
              {
                kind: SpanKind.CLIENT,
                startTime,
                attributes: {
                  ...common,
                  'db.system': 'postgresql',
                  'db.name': 'orders',
                  'db.operation': 'SELECT',
                  'db.statement': 'SELECT id, status, total FROM orders WHERE customer_id = $1 AND created_at > $2',
                  'db.sql.table': 'orders',
                  'db.rows_affected': n % 20,
                  'db.connection_string': 'postgresql://orders-db:5432',
                  'db.user': 'checkout',
                  'server.socket.port': 5432,
                },
              },
              parent,
            );
    }
    if (n % 4 === 1) span.addEvent('message', { 'message.type': 'SENT', 'message.id': 1, 'message.uncompressed_size': 312 }, startTime);
    if (n % 16 === 2) {
      span.addEvent('exception', { 'exception.type': '*net.OpError', 'exception.message': 'dial tcp 10.42.1.7:5432: i/o timeout' }, startTime);
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'i/o timeout' });
    }
    if (span !== server) span.end(endTime);
    if (position === SPANS_PER_TRACE - 1 || n === first + count - 1) server.end(serverEnd);
  }
  return exporter.getFinishedSpans();
}

/** `requests` OTLP/protobuf ExportTraceServiceRequest bodies of `spansPerRequest` Go-style spans each; no two share a span id. */
export function goServiceRequests(requests: number, spansPerRequest: number): Uint8Array[] {
  return Array.from({ length: requests }, (_, i) => {
    const body = ProtobufTraceSerializer.serializeRequest(buildGoServiceSpans(spansPerRequest, i * spansPerRequest));
    if (body === undefined) throw new Error('the OTLP serializer produced no request body');
    return body;
  });
}
