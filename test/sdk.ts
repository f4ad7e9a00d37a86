// Telemetry built with the real OpenTelemetry JS SDK, for tests that send it through real exporters.
import type { Attributes as OtelAttributes } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { Logger } from '@opentelemetry/api-logs';
import type { Tracer } from '@opentelemetry/api';

export async function recordSpans(resource: OtelAttributes, build: (tracer: Tracer) => void): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ resource: resourceFromAttributes(resource), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  build(provider.getTracer('hopscope-test', '1.2.3'));
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

export async function recordLogs(resource: OtelAttributes, build: (logger: Logger) => void): Promise<ReadableLogRecord[]> {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource: resourceFromAttributes(resource), processors: [new SimpleLogRecordProcessor({ exporter })] });
  build(provider.getLogger('hopscope-test-logger', '0.1.0'));
  await provider.forceFlush();
  const logs = exporter.getFinishedLogRecords();
  await provider.shutdown();
  return logs;
}

/** Calls an SDK exporter's `export` and resolves with its result (code 0 = success). */
export function exportWith<T>(exporter: { export(items: T[], cb: (r: { code: number; error?: Error }) => void): void }, items: T[]): Promise<{ code: number; error?: Error }> {
  return new Promise((resolve) => exporter.export(items, resolve));
}
