// Settings of the cross-trace detectors (stitching, dual ids, sampling, log context), with defaults.
import { DEFAULT_CLOCK_SKEW_TOLERANCE_NS } from './clock-skew';

export interface CrossTraceOptions {
  /**
   * Attribute keys whose equal values on a producer and a consumer tie the two together (message, job and
   * task ids). Replaces the defaults; add to `DEFAULT_CORRELATION_KEYS` to keep them.
   */
  correlationKeys?: readonly string[];
  /** Attribute keys (on spans and log records) that hold a request id. Replaces the defaults. */
  requestIdKeys?: readonly string[];
  /** Sampling probability per service as configured (settings), in (0, 1]. */
  samplingProbabilities?: Readonly<Record<string, number>>;
  /**
   * How far two hosts' clocks may disagree: a synchronous child on another host may stick out of its
   * parent, and a consumer start before its producer, by this much. Default 5 ms.
   */
  clockSkewToleranceNs?: number;
  /** The longest a message or job may wait in a queue to be stitched; default 10 minutes. */
  maxQueueWaitNs?: number;
}

export const DEFAULT_CORRELATION_KEYS: readonly string[] = [
  'messaging.message.id',
  'messaging.message.conversation_id',
  'job.id',
  'job_id',
  'jobId',
  'task.id',
  'task_id',
  'taskId',
  'correlation.id',
  'correlation_id',
  'correlationId',
];

/** `http.request.header.*` and `rpc.grpc.request.metadata.*` are string arrays per semconv; the others plain values. */
export const DEFAULT_REQUEST_ID_KEYS: readonly string[] = [
  'http.request.header.x-request-id',
  'rpc.grpc.request.metadata.x-request-id',
  'request_id',
  'request.id',
  'requestId',
  'x-request-id',
];

export interface ResolvedOptions {
  correlationKeys: readonly string[];
  requestIdKeys: readonly string[];
  samplingProbabilities: Readonly<Record<string, number>>;
  clockSkewToleranceNs: number;
  maxQueueWaitNs: number;
}

export function resolveOptions(options: CrossTraceOptions = {}): ResolvedOptions {
  return {
    correlationKeys: options.correlationKeys ?? DEFAULT_CORRELATION_KEYS,
    requestIdKeys: options.requestIdKeys ?? DEFAULT_REQUEST_ID_KEYS,
    samplingProbabilities: options.samplingProbabilities ?? {},
    clockSkewToleranceNs: options.clockSkewToleranceNs ?? DEFAULT_CLOCK_SKEW_TOLERANCE_NS,
    maxQueueWaitNs: options.maxQueueWaitNs ?? 600e9,
  };
}
