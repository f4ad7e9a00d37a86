import * as grpc from '@grpc/grpc-js';
import { hostPort, ListenError, listenErrorMessage } from '../net';
import { admitExport, grpcPeerAddress, handleExport, InflightBudget, type IngestCounters, type IngestSink, type Signal } from './ingest';
import { DEFAULT_MAX_BODY_BYTES, type RunningReceiver } from './http';

export interface GrpcReceiverOptions {
  host: string;
  port: number;
  sink: IngestSink;
  counters: IngestCounters;
  /** Largest message accepted (default 20 MiB); larger ones get RESOURCE_EXHAUSTED from grpc-js. */
  maxMessageBytes?: number;
  /** The bound on request bytes in flight, shared with the HTTP receiver (default: its own). */
  budget?: InflightBudget;
}

const SERVICES: [Signal, string][] = [
  ['traces', '/opentelemetry.proto.collector.trace.v1.TraceService/Export'],
  ['logs', '/opentelemetry.proto.collector.logs.v1.LogsService/Export'],
  ['metrics', '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export'],
];

const passThrough = (b: Buffer): Buffer => b;

/** OTLP/gRPC receiver: the three Export methods, decoded with our own protobuf decoder from the raw bytes. */
export async function startGrpcReceiver(options: GrpcReceiverOptions): Promise<RunningReceiver> {
  const max = options.maxMessageBytes ?? DEFAULT_MAX_BODY_BYTES;
  const budget = options.budget ?? new InflightBudget();
  const server = new grpc.Server({
    'grpc.max_receive_message_length': max,
    'grpc.max_send_message_length': 4 * 1024 * 1024,
  });
  for (const [signal, path] of SERVICES) {
    const definition: grpc.ServiceDefinition = {
      Export: {
        path,
        requestStream: false,
        responseStream: false,
        requestSerialize: passThrough,
        requestDeserialize: passThrough,
        responseSerialize: passThrough,
        responseDeserialize: passThrough,
      },
    };
    const handler: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
      exportCall(signal, call.request, options, budget, grpcPeerAddress(call.getPeer())).then(
        (response) => callback(null, response),
        (err: grpc.ServiceError) => callback(err),
      );
    };
    server.addService(definition, { Export: handler });
  }
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(hostPort(options.host, options.port), grpc.ServerCredentials.createInsecure(), (err, bound) => {
      if (err) {
        // grpc-js wraps the socket error in its message; recover its code for the shared wording.
        const code = /EADDRINUSE|EACCES|EADDRNOTAVAIL/.exec(err.message)?.[0];
        reject(new ListenError(listenErrorMessage(Object.assign(err, { code }), 'OTLP/gRPC receiver', options.host, options.port, '--otlp-grpc')));
      } else resolve(bound);
    });
  });
  return {
    port,
    address: `grpc://${hostPort(options.host, port)}`,
    close: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.forceShutdown(), 5000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

async function exportCall(signal: Signal, body: Buffer, options: GrpcReceiverOptions, budget: InflightBudget, peer: string | undefined): Promise<Buffer> {
  // grpc-js has read the message already; what decoding and storing it holds still counts against the bound.
  const ticket = budget.ticket();
  try {
    const outcome = admitExport(options.sink, ticket, body.byteLength, options.counters) ?? (await handleExport(signal, 'proto', body, options.sink, options.counters, peer));
    if (!outcome.ok) throw grpcError(outcome.code, outcome.message);
    return Buffer.from(outcome.response);
  } finally {
    ticket.release();
  }
}

function grpcError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
}
