// Zipkin v1 JSON → model, by way of Zipkin v2 spans (zipkin.ts does the rest).
//
// A v1 span is one id seen from every endpoint that touched it: its core annotations say which
// side did what (cs/cr client send/receive, sr/ss server receive/send, ms/mr message send/receive,
// ws/wr wire send/receive) and binary annotations carry tags and the addresses `ca`, `sa`, `ma`.
// As Zipkin's own V1SpanConverter does, it becomes one v2 span per local endpoint (service name):
// the side with cs/cr is the CLIENT, sr/ss the SERVER (shared: the client owns the id), ms the
// PRODUCER, mr the CONSUMER; timestamps and durations come from the span when it has them, else
// from its core annotations; other annotations become events; `lc` with a value becomes a tag.
// So one v1 span carrying both sides of an RPC imports as two spans, the server a child of the client.
import { InputError } from '../errors';
import type { TelemetryBatch } from '../model';
import { expectObject, expectString, optionalArray, optionalNumber, type JsonObject } from './json-shape';
import { parseEndpoint, parseSpanBase, spanObjects, zipkinSpansToModel, type ZipkinEndpoint, type ZipkinSpan } from './zipkin';

interface V1Annotation {
  timestamp: number;
  value: string;
  endpoint?: ZipkinEndpoint;
}

interface V1BinaryAnnotation {
  key: string;
  value: string;
  endpoint?: ZipkinEndpoint;
}

interface V1Span {
  field: string;
  traceId: string;
  id: string;
  parentId: string;
  name: string;
  /** Microseconds; absent (or 0) when unknown, which in v1 also hints at a shared server side. */
  timestamp?: number;
  duration?: number;
  debug: boolean;
  annotations: V1Annotation[];
  binaryAnnotations: V1BinaryAnnotation[];
}

export function zipkinV1ToModel(doc: unknown): TelemetryBatch {
  return zipkinSpansToModel(spanObjects(doc).flatMap(([value, field]) => new V1Conversion(parseV1Span(value, field)).run()));
}

function parseV1Span(span: JsonObject, field: string): V1Span {
  return {
    ...parseSpanBase(span, field),
    annotations: optionalArray(span.annotations, `${field}.annotations`).map((value, i) => {
      const f = `${field}.annotations[${i}]`;
      const a = expectObject(value, f);
      const timestamp = optionalNumber(a.timestamp, `${f}.timestamp`);
      if (timestamp === undefined) throw new InputError(`${f}.timestamp: an annotation needs a timestamp`, { field: `${f}.timestamp` });
      return { timestamp, value: expectString(a.value, `${f}.value`), endpoint: parseEndpoint(a.endpoint, `${f}.endpoint`) };
    }),
    binaryAnnotations: optionalArray(span.binaryAnnotations, `${field}.binaryAnnotations`).map((value, i) => {
      const f = `${field}.binaryAnnotations[${i}]`;
      const b = expectObject(value, f);
      const v = b.value;
      return { key: expectString(b.key, `${f}.key`), value: typeof v === 'string' ? v : JSON.stringify(v), endpoint: parseEndpoint(b.endpoint, `${f}.endpoint`) };
    }),
  };
}

function sameService(a: ZipkinEndpoint | undefined, b: ZipkinEndpoint | undefined): boolean {
  return a?.serviceName === b?.serviceName;
}

function sameEndpoint(a: ZipkinEndpoint | undefined, b: ZipkinEndpoint | undefined): boolean {
  return sameService(a, b) && a?.ipv4 === b?.ipv4 && a?.ipv6 === b?.ipv6 && a?.port === b?.port;
}

/** Splits one v1 span into v2 spans, one per local endpoint. */
class V1Conversion {
  private readonly spans: ZipkinSpan[];
  private cs?: V1Annotation;
  private sr?: V1Annotation;
  private ss?: V1Annotation;
  private cr?: V1Annotation;
  private ms?: V1Annotation;
  private mr?: V1Annotation;
  private ws?: V1Annotation;
  private wr?: V1Annotation;

  constructor(private readonly source: V1Span) {
    this.spans = [this.newSpan(undefined)];
  }

  run(): ZipkinSpan[] {
    this.processAnnotations();
    this.processBinaryAnnotations();
    return this.spans;
  }

  private newSpan(localEndpoint: ZipkinEndpoint | undefined): ZipkinSpan {
    const { field, traceId, id, parentId, name, debug } = this.source;
    return { field, traceId, id, parentId, name, localEndpoint, annotations: [], tags: new Map(), shared: false, debug };
  }

  private fork(localEndpoint: ZipkinEndpoint | undefined): ZipkinSpan {
    const span = this.newSpan(localEndpoint);
    this.spans.push(span);
    return span;
  }

  /** The v2 span for a local endpoint; data without an endpoint belongs to the first. */
  private forEndpoint(endpoint: ZipkinEndpoint | undefined): ZipkinSpan {
    if (!endpoint) return this.spans[0];
    for (const span of this.spans) {
      if (!span.localEndpoint) {
        span.localEndpoint = endpoint;
        return span;
      }
      if (sameService(span.localEndpoint, endpoint)) return span;
    }
    return this.fork(endpoint);
  }

  private processAnnotations(): void {
    const { timestamp, duration } = this.source;
    for (const a of this.source.annotations) {
      const span = this.forEndpoint(a.endpoint);
      // Core annotations need an endpoint to say whose side they are.
      if (a.endpoint && this.takeCore(a, span)) continue;
      span.annotations.push({ timestamp: a.timestamp, value: a.value });
    }

    // Bridged event-model data can lack the start annotation when the span's own timing implies it.
    const endsAtDuration = (end: V1Annotation | undefined) => end !== undefined && timestamp !== undefined && duration !== undefined && timestamp + duration === end.timestamp;
    if (!this.cs && this.cr && endsAtDuration(this.cr)) this.cs = { timestamp: timestamp!, value: 'cs', endpoint: this.cr.endpoint };
    if (!this.sr && this.ss && endsAtDuration(this.ss)) this.sr = { timestamp: timestamp!, value: 'sr', endpoint: this.ss.endpoint };
    const { cs, sr, ss, cr, ms, mr, ws, wr } = this;

    if (cs && sr) {
      // The client side owns the span's timing; the server side's comes from its annotations.
      this.timeFrom(cs, cr);
      const client = this.forEndpoint(cs.endpoint);
      let server: ZipkinSpan;
      if (sameService(cs.endpoint, sr.endpoint)) {
        client.kind = 'CLIENT';
        server = this.fork(sr.endpoint);
        server.kind = 'SERVER';
      } else {
        server = this.forEndpoint(sr.endpoint);
      }
      server.shared = true;
      server.timestamp = sr.timestamp;
      if (ss) server.duration = ss.timestamp - sr.timestamp;
      if (!cr && !duration) client.duration = undefined;
    } else if (cs && cr) {
      this.timeFrom(cs, cr);
    } else if (sr && ss) {
      this.timeFrom(sr, ss);
    } else {
      this.incompleteRpc();
    }

    // v1 had no shared flag: a server side without the span's own timestamp was the shared half.
    if (!cs && sr && (!timestamp || (ss && !duration))) this.forEndpoint(sr.endpoint).shared = true;

    if (ms && mr) {
      const producer = this.forEndpoint(ms.endpoint);
      let consumer: ZipkinSpan;
      if (sameService(ms.endpoint, mr.endpoint)) {
        producer.kind = 'PRODUCER';
        consumer = this.fork(mr.endpoint);
        consumer.kind = 'CONSUMER';
      } else {
        consumer = this.forEndpoint(mr.endpoint);
      }
      consumer.shared = true;
      consumer.timestamp = wr ? wr.timestamp : mr.timestamp;
      consumer.duration = wr ? mr.timestamp - wr.timestamp : undefined;
      producer.timestamp = ms.timestamp;
      producer.duration = ws ? ws.timestamp - ms.timestamp : undefined;
    } else if (ms) {
      this.timeFrom(ms, ws);
    } else if (mr) {
      if (wr) this.timeFrom(wr, mr);
      else this.timeFrom(mr, undefined);
    } else {
      for (const w of [ws, wr]) if (w) this.forEndpoint(w.endpoint).annotations.push({ timestamp: w.timestamp, value: w.value });
    }
  }

  private takeCore(a: V1Annotation, span: ZipkinSpan): boolean {
    switch (a.value) {
      case 'cs':
        span.kind = 'CLIENT';
        this.cs = a;
        return true;
      case 'cr':
        span.kind = 'CLIENT';
        this.cr = a;
        return true;
      case 'sr':
        span.kind = 'SERVER';
        this.sr = a;
        return true;
      case 'ss':
        span.kind = 'SERVER';
        this.ss = a;
        return true;
      case 'ms':
        span.kind = 'PRODUCER';
        this.ms = a;
        return true;
      case 'mr':
        span.kind = 'CONSUMER';
        this.mr = a;
        return true;
      case 'ws':
        this.ws = a;
        return true;
      case 'wr':
        this.wr = a;
        return true;
      default:
        return false;
    }
  }

  private timeFrom(begin: V1Annotation, end: V1Annotation | undefined): void {
    const span = this.forEndpoint(begin.endpoint);
    const { timestamp, duration } = this.source;
    if (timestamp && duration) {
      span.timestamp = timestamp;
      span.duration = duration;
    } else {
      span.timestamp = begin.timestamp;
      if (end) span.duration = end.timestamp - begin.timestamp;
    }
  }

  /** Without a begin/end pair the lone core annotations are kept as events (begins still set the start). */
  private incompleteRpc(): void {
    for (const span of this.spans) {
      const [begin, end] = span.kind === 'CLIENT' ? [this.cs, this.cr] : span.kind === 'SERVER' ? [this.sr, this.ss] : [];
      if (begin) span.timestamp = begin.timestamp;
      if (end) span.annotations.push({ timestamp: end.timestamp, value: end.value });
    }
    if (this.source.timestamp) {
      this.spans[0].timestamp = this.source.timestamp;
      this.spans[0].duration = this.source.duration;
    }
  }

  private processBinaryAnnotations(): void {
    let ca: ZipkinEndpoint | undefined;
    let sa: ZipkinEndpoint | undefined;
    let ma: ZipkinEndpoint | undefined;
    for (const b of this.source.binaryAnnotations) {
      if (b.key === 'ca') ca = b.endpoint;
      else if (b.key === 'sa') sa = b.endpoint;
      else if (b.key === 'ma') ma = b.endpoint;
      else {
        const span = this.forEndpoint(b.endpoint);
        // An empty `lc` only names the local endpoint; it is not worth a tag.
        if (!(b.key === 'lc' && b.value === '')) span.tags.set(b.key, b.value);
      }
    }
    const { cs, sr, ss, cr, ms, mr } = this;

    if (!cs && !cr && !ss && !sr && (ca || sa)) {
      if (ca && sa) {
        this.forEndpoint(ca).remoteEndpoint = sa;
      } else if (sa) {
        this.spans[0].remoteEndpoint = sa;
      } else {
        this.spans[0].kind = 'SERVER';
        this.spans[0].remoteEndpoint = ca;
      }
      return;
    }
    const server = sr ?? ss;
    if (ca && server && !sameEndpoint(ca, server.endpoint)) {
      // Finagle names the client socket after the server's own service; drop it to avoid a loopback peer.
      this.forEndpoint(server.endpoint).remoteEndpoint = sameService(ca, server.endpoint) ? { ...ca, serviceName: undefined } : ca;
    }
    const client = cs ?? cr;
    if (sa && client) this.forEndpoint(client.endpoint).remoteEndpoint = sa;
    if (ma) {
      if (ms) this.forEndpoint(ms.endpoint).remoteEndpoint = ma;
      if (mr) this.forEndpoint(mr.endpoint).remoteEndpoint = ma;
    }
  }
}
