import { randomBytes } from 'node:crypto';
import { newLogRecord, newSpan, setAttribute, SpanKind, StatusCode, type AnyValue, type Attributes, type LogRecord, type Resource, type Scope, type Span, type TelemetryBatch } from '../model';

const MS = 1_000_000n;

function attrs(entries: Record<string, AnyValue>): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(entries)) setAttribute(out, k, v);
  return out;
}

function goService(name: string, pod: string): Resource {
  return {
    attributes: attrs({
      'service.name': name,
      'service.version': '1.4.2',
      'service.instance.id': `${pod}-${randomBytes(2).toString('hex')}`,
      'telemetry.sdk.language': 'go',
      'telemetry.sdk.name': 'opentelemetry',
      'telemetry.sdk.version': '1.38.0',
      'k8s.namespace.name': 'shop',
      'k8s.pod.name': pod,
      'host.name': pod,
    }),
    droppedAttributesCount: 0,
    schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
  };
}

function scope(name: string, version: string): Scope {
  return { name, version, attributes: {}, droppedAttributesCount: 0, schemaUrl: '' };
}

/**
 * "Send a test trace": one checkout request through five Go services over HTTP, gRPC, SQL,
 * Redis and Kafka, with a failed-then-retried payment call and logs that carry trace context —
 * enough to see every part of the UI without instrumenting anything.
 */
export function buildTestTrace(now: bigint = BigInt(Date.now()) * MS): TelemetryBatch {
  const traceId = randomBytes(16).toString('hex');
  const t0 = now - 200n * MS;
  const frontend = goService('frontend', 'frontend-6c9f8d7b5-k2x4q');
  const checkout = goService('checkout', 'checkout-7d4b9c6f8-9wz7m');
  const cart = goService('cart', 'cart-5f7c8b9d4-lq2vn');
  const payment = goService('payment', 'payment-84d6f7c9b-t5r8p');
  const email = goService('email', 'email-69b7d8c5f-h3j6s');
  const otelhttp = scope('go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp', '0.63.0');
  const otelgrpc = scope('go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc', '0.63.0');
  const otelsql = scope('github.com/XSAM/otelsql', '0.39.0');
  const redisotel = scope('github.com/redis/go-redis/extra/redisotel/v9', '9.7.0');
  const kafkaScope = scope('github.com/IBM/sarama/otelsarama', '0.31.0');

  const spans: Span[] = [];
  const span = (
    parent: Span | undefined,
    resource: Resource,
    sc: Scope,
    name: string,
    kind: SpanKind,
    startMs: number,
    endMs: number,
    attributes: Record<string, AnyValue>,
    error?: string,
  ): Span => {
    const s = newSpan({
      traceId,
      spanId: randomBytes(8).toString('hex'),
      parentSpanId: parent?.spanId ?? '',
      flags: 0x01,
      name,
      kind,
      startNs: t0 + BigInt(Math.round(startMs * 1000)) * 1000n,
      endNs: t0 + BigInt(Math.round(endMs * 1000)) * 1000n,
      attributes: attrs(attributes),
      status: error ? { code: StatusCode.ERROR, message: error } : undefined,
      resource,
      scope: sc,
    });
    spans.push(s);
    return s;
  };
  const grpc = (service: string, method: string, code: bigint) => ({
    'rpc.system': 'grpc',
    'rpc.service': service,
    'rpc.method': method,
    'rpc.grpc.status_code': code,
  });

  const root = span(undefined, frontend, otelhttp, 'POST /api/checkout', SpanKind.SERVER, 0, 182.4, {
    'http.request.method': 'POST',
    'url.path': '/api/checkout',
    'url.scheme': 'http',
    'http.route': '/api/checkout',
    'http.response.status_code': 200n,
    'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0',
    'client.address': '10.42.0.17',
    'app.request_id': `req-${randomBytes(6).toString('hex')}`,
  });
  const placeOrderClient = span(root, frontend, otelgrpc, 'checkout.CheckoutService/PlaceOrder', SpanKind.CLIENT, 4.1, 176.9, {
    ...grpc('checkout.CheckoutService', 'PlaceOrder', 0n),
    'server.address': 'checkout.shop.svc.cluster.local',
    'server.port': 8080n,
  });
  const placeOrder = span(placeOrderClient, checkout, otelgrpc, 'checkout.CheckoutService/PlaceOrder', SpanKind.SERVER, 5.3, 175.2, grpc('checkout.CheckoutService', 'PlaceOrder', 0n));
  const getCartClient = span(placeOrder, checkout, otelgrpc, 'cart.CartService/GetCart', SpanKind.CLIENT, 7.0, 29.8, {
    ...grpc('cart.CartService', 'GetCart', 0n),
    'server.address': 'cart.shop.svc.cluster.local',
  });
  const getCart = span(getCartClient, cart, otelgrpc, 'cart.CartService/GetCart', SpanKind.SERVER, 8.2, 28.9, grpc('cart.CartService', 'GetCart', 0n));
  span(getCart, cart, redisotel, 'hgetall', SpanKind.CLIENT, 9.1, 14.6, {
    'db.system.name': 'redis',
    'db.operation.name': 'HGETALL',
    'db.query.text': 'HGETALL cart:5b1f8a1c',
    'server.address': 'redis-cart',
    'server.port': 6379n,
  });
  span(getCart, cart, redisotel, 'expire', SpanKind.CLIENT, 15.0, 17.2, { 'db.system.name': 'redis', 'db.operation.name': 'EXPIRE', 'server.address': 'redis-cart' });
  span(placeOrder, checkout, otelsql, 'SELECT shop.products', SpanKind.CLIENT, 31.0, 48.7, {
    'db.system.name': 'postgresql',
    'db.namespace': 'shop',
    'db.operation.name': 'SELECT',
    'db.query.text': 'SELECT id, price_cents, currency FROM products WHERE id = ANY($1)',
    'db.response.returned_rows': 3n,
    'server.address': 'postgres.shop.svc.cluster.local',
  });
  const chargeClient = span(placeOrder, checkout, otelgrpc, 'payment.PaymentService/Charge', SpanKind.CLIENT, 50.2, 151.3, {
    ...grpc('payment.PaymentService', 'Charge', 0n),
    'server.address': 'payment.shop.svc.cluster.local',
  });
  const charge = span(chargeClient, payment, otelgrpc, 'payment.PaymentService/Charge', SpanKind.SERVER, 51.6, 150.1, {
    ...grpc('payment.PaymentService', 'Charge', 0n),
    'app.payment.amount': 129.9,
    'app.payment.currency': 'EUR',
  });
  const firstTry = span(charge, payment, otelhttp, 'POST', SpanKind.CLIENT, 53.0, 88.4, {
    'http.request.method': 'POST',
    'url.full': 'https://psp.example.test/v1/charges',
    'server.address': 'psp.example.test',
    'http.response.status_code': 503n,
    'error.type': '503',
    'http.request.resend_count': 0n,
  }, 'upstream answered 503 Service Unavailable');
  firstTry.events.push({
    timeNs: firstTry.endNs - 200_000n,
    name: 'exception',
    attributes: attrs({ 'exception.type': '*url.Error', 'exception.message': 'POST "https://psp.example.test/v1/charges": 503 Service Unavailable' }),
    droppedAttributesCount: 0,
  });
  span(charge, payment, otelhttp, 'POST', SpanKind.CLIENT, 96.5, 147.8, {
    'http.request.method': 'POST',
    'url.full': 'https://psp.example.test/v1/charges',
    'server.address': 'psp.example.test',
    'http.response.status_code': 201n,
    'http.request.resend_count': 1n,
  });
  const messageId = randomBytes(8).toString('hex');
  const publish = span(placeOrder, checkout, kafkaScope, 'publish orders', SpanKind.PRODUCER, 153.0, 158.6, {
    'messaging.system': 'kafka',
    'messaging.operation.type': 'publish',
    'messaging.destination.name': 'orders',
    'messaging.message.id': messageId,
    'messaging.kafka.message.key': 'order-1029',
  });
  const consume = span(publish, email, kafkaScope, 'process orders', SpanKind.CONSUMER, 161.2, 179.5, {
    'messaging.system': 'kafka',
    'messaging.operation.type': 'process',
    'messaging.destination.name': 'orders',
    'messaging.message.id': messageId,
    'messaging.consumer.group.name': 'email',
  });
  consume.links.push({ traceId, spanId: publish.spanId, traceState: '', attributes: attrs({ 'messaging.operation.type': 'publish' }), droppedAttributesCount: 0, flags: 0x01 });
  span(consume, email, otelhttp, 'POST', SpanKind.CLIENT, 163.0, 177.9, {
    'http.request.method': 'POST',
    'url.full': 'http://mailer.shop.svc.cluster.local/send',
    'http.response.status_code': 202n,
  });

  const logs: LogRecord[] = [];
  const log = (s: Span, atMs: number, severityNumber: number, severityText: string, body: string, extra: Record<string, AnyValue> = {}) => {
    const timeNs = t0 + BigInt(Math.round(atMs * 1000)) * 1000n;
    logs.push(newLogRecord({ timeNs, severityNumber, severityText, body, attributes: attrs(extra), flags: 0x01, traceId, spanId: s.spanId, resource: s.resource, scope: scope('log/slog', '') }));
  };
  log(root, 1.2, 9, 'INFO', 'checkout requested', { 'app.user_id': 'u-7781', 'app.cart_items': 3n });
  log(getCart, 18.0, 5, 'DEBUG', 'cart loaded from redis', { 'app.cart_items': 3n });
  log(firstTry, 88.6, 13, 'WARN', 'payment provider unavailable, retrying in 8ms', { 'retry.attempt': 1n });
  log(charge, 149.5, 9, 'INFO', 'charge captured', { 'app.payment.amount': 129.9 });
  log(placeOrder, 159.0, 9, 'INFO', 'order placed', { 'app.order_id': 'order-1029' });
  log(consume, 178.2, 9, 'INFO', 'confirmation email queued', { 'app.order_id': 'order-1029' });
  return { spans, logs, metricPoints: 0 };
}
