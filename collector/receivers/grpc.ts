import * as grpc from '@grpc/grpc-js';
import { InputError } from '../errors';
import { encodeExportResponse } from '../otlp';
import { hostPort, ListenError } from '../net';
import { decodeExportRequest, type IngestCounters, type IngestSink, type Signal } from './ingest';
import { DEFAULT_MAX_BODY_BYTES, type RunningReceiver } from './http';

export interface GrpcReceiverOptions {
  host: string;
  port: number;
  sink: IngestSink;
  counters: IngestCounters;
  /** Largest message accepted (default 20 MiB); larger ones get RESOURCE_EXHAUSTED from grpc-js. */
  maxMessageBytes?: number;
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
      exportCall(signal, call.request, options).then(
        (response) => callback(null, response),
        (err: grpc.ServiceError) => callback(err),
      );
    };
    server.addService(definition, { Export: handler });
  }
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(hostPort(options.host, options.port), grpc.ServerCredentials.createInsecure(), (err, bound) => {
      if (err) {
        const inUse = /EADDRINUSE|address already in use|No address added/i.test(err.message);
        reject(new ListenError(inUse
          ? `OTLP/gRPC receiver: port ${options.port} on ${options.host} is already in use; free it or pick another with --otlp-grpc <port>`
          : `OTLP/gRPC receiver: cannot listen on ${hostPort(options.host, options.port)}: ${err.message}`));
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

async function exportCall(signal: Signal, body: Buffer, options: GrpcReceiverOptions): Promise<Buffer> {
  let decoded;
  try {
    decoded = decodeExportRequest(signal, 'proto', body);
  } catch (err) {
    options.counters.failedRequests++;
    if (err instanceof InputError) throw grpcError(grpc.status.INVALID_ARGUMENT, `cannot decode ${signal} request: ${err.message}`);
    throw grpcError(grpc.status.INTERNAL, `internal error: ${(err as Error).message}`);
  }
  // UNAVAILABLE (not RESOURCE_EXHAUSTED) is what OTLP exporters retry with backoff.
  if (options.sink.overloaded()) throw grpcError(grpc.status.UNAVAILABLE, 'Hopscope is writing behind; retry shortly');
  try {
    await options.sink.write(decoded.batch);
  } catch (err) {
    options.counters.failedRequests++;
    throw grpcError(grpc.status.UNAVAILABLE, `could not store the ${signal}: ${(err as Error).message}`);
  }
  options.counters.add(decoded);
  return Buffer.from(encodeExportResponse('proto', decoded.rejected, decoded.rejectReason ?? '', signal));
}

function grpcError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
}
