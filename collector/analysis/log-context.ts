// log-context-lost: log records without trace context, emitted by an instance while one of its spans was
// active (a zap/slog logger not handed the ctx inside a goroutine); and records whose trace id matches no
// stored span, told apart by whether sampling explains them.
import { SpanFlags } from '../model';
import type { LogFact, SpanFact } from './facts';
import type { Observation } from '../../common/findings';
import { nsToMs } from './findings';
import { wilson, type TimeRange } from './detector';
import type { TraceSet } from './trace-set';

export interface LostLogRecord {
  log: LogFact;
  /** The innermost span active in the record's instance when it was emitted: the likely one. */
  likely: SpanFact;
  /** How many requests (traces) had a span active then: with more than one, the likely span is a guess. */
  activeTraces: number;
}

/** Logger groups of at least this many records are judged by where their records fall, not by one record. */
const MIN_GROUP = 5;

export function findLostLogContext(set: TraceSet, focus?: TimeRange): { observations: Observation[]; lost: LostLogRecord[] } {
  const activity = new Map<string, InstanceActivity>();
  const activityOf = (instance: string) => {
    let a = activity.get(instance);
    if (!a) activity.set(instance, (a = new InstanceActivity(set.instanceSpans(instance))));
    return a;
  };
  // loggers that also emit records with trace context are request-scoped: a record without it lost it
  const withContext = new Set<string>();
  for (const log of set.logs) if (log.traceId !== '') withContext.add(groupKey(log));

  const groups = new Map<string, { logs: LogFact[]; inside: LostLogRecord[] }>();
  for (const log of set.logs) {
    if (log.traceId !== '' || (focus && (log.time < focus.from || log.time >= focus.to))) continue;
    const key = groupKey(log);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { logs: [], inside: [] }));
    group.logs.push(log);
    const found = activityOf(log.instance).at(log.time);
    if (found) group.inside.push({ log, ...found });
  }

  const observations: Observation[] = [];
  const lost: LostLogRecord[] = [];
  for (const [key, group] of groups) {
    if (group.inside.length === 0) continue;
    const first = group.logs[0];
    const mixed = withContext.has(key);
    // A background logger writes whether or not a request is running; one that writes only while spans
    // are active is request-scoped even if it never got a context.
    const duty = activityOf(first.instance).dutyCycle(Math.min(...group.logs.map((l) => l.time)), Math.max(...group.logs.map((l) => l.time)));
    const [lowInside] = wilson(group.inside.length, group.logs.length);
    const requestScoped = mixed || (group.logs.length >= MIN_GROUP && lowInside > duty);
    if (!requestScoped) continue;
    for (const record of group.inside) {
      lost.push(record);
      const { log, likely, activeTraces } = record;
      observations.push({
        kind: 'log-context-lost',
        subkind: 'no-trace-context',
        severity: 'warning',
        service: log.service,
        operation: log.logger || '(no logger name)',
        at: { traceId: likely.traceId, spanId: likely.spanId },
        evidence: {
          log: { timeNs: String(log.timeNs), body: log.body.slice(0, 200), logger: log.logger },
          // with one request active the span is certain; with more, the innermost latest one is only a guess
          ...(activeTraces === 1
            ? { span: { traceId: likely.traceId, spanId: likely.spanId, operation: likely.name, startedMsBefore: nsToMs(log.time - likely.start) }, spanIs: 'certain: the only request active in this instance then' }
            : { guessedSpan: { traceId: likely.traceId, spanId: likely.spanId, operation: likely.name, startedMsBefore: nsToMs(log.time - likely.start) }, spanIs: `a guess: ${activeTraces} requests were active in this instance then; the innermost span that started last is shown` }),
          requestsActive: activeTraces,
          loggerAlsoLogsWithContext: mixed,
          hint: mixed
            ? 'This logger writes some records with trace context and these without: pass the ctx at these call sites (e.g. zap via otelzap `logger.Ctx(ctx)`, slog `InfoContext(ctx, …)`).'
            : 'This logger writes only while spans are active, yet never with their context: pass the ctx to it (otelzap `Ctx(ctx)`, slog `InfoContext`).',
        },
      });
    }
  }
  observations.push(...unknownTraces(set, focus));
  return { observations, lost };
}

function groupKey(log: LogFact): string {
  return `${log.service}\u0000${log.logger}`;
}

/** An instance's spans by start, for "what was active at time t" and "how much of the time was anything active". */
class InstanceActivity {
  private readonly maxEnd: Float64Array;

  constructor(private readonly spans: readonly SpanFact[]) {
    this.maxEnd = new Float64Array(spans.length);
    let m = -Infinity;
    spans.forEach((s, i) => (this.maxEnd[i] = m = Math.max(m, s.end)));
  }

  /** The innermost active span (latest start, then shortest) and how many traces had one active. */
  at(t: number): { likely: SpanFact; activeTraces: number } | undefined {
    let i = upperBound(this.spans, t) - 1;
    let likely: SpanFact | undefined;
    const traces = new Set<string>();
    for (; i >= 0 && this.maxEnd[i] >= t; i--) {
      const s = this.spans[i];
      if (s.end < t) continue;
      traces.add(s.traceId);
      if (!likely || s.start > likely.start || (s.start === likely.start && s.end < likely.end)) likely = s;
    }
    return likely ? { likely, activeTraces: traces.size } : undefined;
  }

  /** The share of [from, to] during which some span of the instance was active. */
  dutyCycle(from: number, to: number): number {
    if (to <= from) return this.at(from) ? 1 : 0;
    let covered = 0;
    let reach = from;
    for (const s of this.spans) {
      if (s.start >= to) break;
      if (s.end <= reach) continue;
      covered += Math.min(s.end, to) - Math.max(s.start, reach);
      reach = Math.min(s.end, to);
    }
    return covered / (to - from);
  }
}

function upperBound(spans: readonly SpanFact[], t: number): number {
  let lo = 0;
  let hi = spans.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (spans[mid].start <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Records whose trace id no stored span has and that say it was sampled: spans that should be here are not,
 * from a service that does send spans (a warning per record). Unsampled ones are expected (the trace was not
 * kept) and are no defect: the sampling detector counts them, nothing is reported here.
 */
function unknownTraces(set: TraceSet, focus: TimeRange | undefined): Observation[] {
  const exporting = set.services;
  const found: Observation[] = [];
  for (const log of set.logs) {
    if (log.traceId === '' || (focus && (log.time < focus.from || log.time >= focus.to)) || set.trace(log.traceId).length > 0) continue;
    // The context of a trace that was not sampled: not lost, its spans were never exported (sampling-skew reads these).
    if ((log.flags & SpanFlags.SAMPLED) === 0) continue;
    found.push({
      kind: 'log-context-lost',
      subkind: 'missing-trace',
      severity: exporting.has(log.service) ? 'warning' : 'info',
      service: log.service,
      operation: log.logger || '(no logger name)',
      at: { traceId: log.traceId, spanId: log.spanId },
      evidence: {
        log: { timeNs: String(log.timeNs), body: log.body.slice(0, 200), logger: log.logger },
        hint: 'The record says its trace was sampled, but no span of that trace is stored: spans were lost on the way (exporter errors, a collector dropping them), or never sent by this service.',
      },
    });
  }
  return found;
}
