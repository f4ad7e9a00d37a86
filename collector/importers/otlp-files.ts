// OTLP as files carry it: plain OTLP JSON, OTLP JSON in a Jaeger api_v3 or Tempo wrapper, and
// protobuf requests whose signal is not labelled. Decoding is collector/otlp's; an item it rejects
// fails the whole file here, since an import has nobody to report a partial success to.
import { InputError } from '../errors';
import type { TelemetryBatch } from '../model';
import { countMetricPointsProto, decodeLogsProto, decodeOtlpJson, decodeTracesProto } from '../otlp';
import { expectArray, expectObject } from './json-shape';

/** One OTLP JSON request of any signal (resourceSpans, resourceLogs, resourceMetrics). */
export function otlpJsonToModel(doc: unknown): TelemetryBatch {
  const { rejected, rejectReason, ...batch } = decodeOtlpJson(doc);
  if (rejected > 0) throw rejection(rejected, rejectReason);
  return batch;
}

/** Jaeger api_v3 GetTrace / FindTraces: {"result": {"resourceSpans": […]}}. */
export function jaegerApiV3ToModel(doc: unknown): TelemetryBatch {
  return otlpJsonToModel(expectObject(expectObject(doc, 'document').result, 'result'));
}

/** Tempo's trace-by-id JSON: v1 {"batches": [ResourceSpans…]} or v2 {"trace": {"resourceSpans": […]}}. */
export function tempoToModel(doc: unknown): TelemetryBatch {
  const root = expectObject(doc, 'document');
  if (root.trace !== undefined) return otlpJsonToModel(expectObject(root.trace, 'trace'));
  return otlpJsonToModel({ resourceSpans: expectArray(root.batches, 'batches') });
}

/**
 * One protobuf Export*ServiceRequest whose signal nobody labelled. The three messages share their
 * outer shape, so each is tried in turn — traces, logs, metrics — and the first that decodes with
 * every item accepted wins; the decoder checks wire types, so the wrong guess fails rather than
 * producing garbage.
 */
export function otlpProtoToModel(buf: Uint8Array): TelemetryBatch {
  const failures: string[] = [];
  const attempt = <T>(signal: string, decode: () => T & { rejected?: number; rejectReason?: string }): T | undefined => {
    try {
      const result = decode();
      if (!result.rejected) return result;
      failures.push(`as ${signal}: ${rejection(result.rejected, result.rejectReason).message}`);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      failures.push(`as ${signal}: ${e.message}`);
    }
    return undefined;
  };
  const traces = attempt('traces', () => decodeTracesProto(buf));
  if (traces && traces.spans.length > 0) return { spans: traces.spans, logs: [], metricPoints: 0 };
  const logs = attempt('logs', () => decodeLogsProto(buf));
  if (logs && (logs.logs.length > 0 || traces === undefined)) return { spans: [], logs: logs.logs, metricPoints: 0 };
  if (traces) return { spans: [], logs: [], metricPoints: 0 };
  const metricPoints = attempt('metrics', () => ({ points: countMetricPointsProto(buf) }));
  if (metricPoints) return { spans: [], logs: [], metricPoints: metricPoints.points };
  throw new InputError(`not an OTLP traces, logs or metrics request (${failures.join('; ')})`);
}

function rejection(rejected: number, reason: string | undefined): InputError {
  return new InputError(`${rejected} item${rejected === 1 ? '' : 's'} rejected${reason ? ` (first: ${reason})` : ''}`);
}
