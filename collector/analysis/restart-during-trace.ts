// restart-during-trace: a CLIENT span that failed with no SERVER span under it, whose peer was a pod that had
// a container terminate during the call (lastState.terminated.finishedAt inside it). The trace shows a network
// error; the cluster shows the process died under the request.
import { deletionRequestedMs } from '../../common/cluster';
import type { Evidence, JsonValue, Observation } from '../../common/findings';
import { SpanKind } from '../../common/telemetry';
import { serviceName, type LogRecord } from '../model';
import type { AssembledTrace } from './assemble';
import type { ClusterHistory } from './cluster-links';
import { failureOf, peerAddressOf } from './span-outcome';

/** finishedAt has whole seconds (truncated): the termination happened within the second after it. */
const FINISHED_AT_PRECISION_MS = 1000;
/** How far before the termination the instance's logs are looked at. */
const LOG_LOOKBACK_MS = 60_000;
const LOG_LINES = 5;
/** Events about the pod this close to the termination are shown with it. */
const EVENT_WINDOW_MS = 5 * 60_000;

/** The log records of the instance running in a pod between two times (the ones an analysis holds). */
export type PodLogs = (podUid: string, fromMs: number, toMs: number) => readonly LogRecord[];

export function findRestartDuringTrace(trace: AssembledTrace, history: ClusterHistory, logs?: PodLogs): Observation[] {
  const found: Observation[] = [];
  const hasServerChild = new Uint8Array(trace.spans.length);
  for (let r = 0; r < trace.spans.length; r++) if (trace.spans[r].kind === SpanKind.SERVER && trace.parent[r] >= 0) hasServerChild[trace.parent[r]] = 1;
  for (let r = 0; r < trace.spans.length; r++) {
    const call = trace.spans[r];
    if (call.kind !== SpanKind.CLIENT || hasServerChild[r]) continue;
    const failure = failureOf(call);
    if (!failure) continue;
    const address = peerAddressOf(call);
    if (address === undefined) continue;
    const startMs = Number(call.startNs / 1000n) / 1000;
    const endMs = Number(call.endNs / 1000n) / 1000;
    const podUid = history.podAtAddress(address, startMs);
    if (podUid === undefined) continue;
    const termination = history.terminationsOf(podUid).find((t) => startMs < t.finishedMs + FINISHED_AT_PRECISION_MS && endMs >= t.finishedMs);
    if (!termination) continue;
    const pod = history.object(podUid)!;
    const evidence: Evidence = {
      pod: pod.name,
      podUid,
      namespace: pod.namespace,
      address,
      container: termination.container,
      reason: termination.reason,
      exitCode: termination.exitCode,
      finishedAt: termination.finishedAt!,
      restartCount: termination.restartCount,
      inFlight: `the call started ${formatMs(termination.finishedMs - startMs)} before the termination and ended ${formatMs(endMs - termination.finishedMs)} after it (finishedAt has whole seconds)`,
      failure,
      events: eventsNear(history, podUid, termination.finishedMs),
      lastLogs: logs ? lastLogs(logs(podUid, termination.finishedMs - LOG_LOOKBACK_MS, termination.finishedMs + FINISHED_AT_PRECISION_MS)) : 'not read',
    };
    const deletion = deletionRequestedMs(history.stateAt<'Pod'>(podUid, termination.finishedMs) ?? {});
    if (deletion !== undefined && deletion <= termination.finishedMs) evidence.note = 'the pod was being deleted: a kill after the grace period';
    found.push({
      kind: 'restart-during-trace',
      subkind: termination.reason === 'OOMKilled' ? 'oom-killed' : 'crashed',
      service: serviceName(call.resource),
      operation: call.name,
      at: { traceId: call.traceId, spanId: call.spanId },
      evidence,
    });
  }
  return found;
}

function formatMs(ms: number): string {
  return ms < 0 ? `${Math.round(-ms)} ms (within finishedAt's second)` : `${Math.round(ms)} ms`;
}

/** Events about the pod near the termination (BackOff, Killing, OOMKilling…), most recent first. */
function eventsNear(history: ClusterHistory, podUid: string, ms: number): JsonValue[] {
  return history
    .eventsAbout(podUid, ms - EVENT_WINDOW_MS, ms + EVENT_WINDOW_MS)
    .map((e) => `${e.type} ${e.reason}${e.count > 1 ? ` (×${e.count})` : ''}: ${e.message}`);
}

/** A panic's first line, a fatal log line, a Go runtime error. */
const PANIC = /\bpanic:|\bfatal error:|goroutine \d+ \[|\bSIGSEGV\b|\bruntime error\b/i;

/** The last lines the instance logged before it died, panic-looking ones first. */
function lastLogs(records: readonly LogRecord[]): JsonValue[] {
  const lines = [...records]
    .sort((a, b) => (a.timeNs < b.timeNs ? 1 : a.timeNs > b.timeNs ? -1 : 0))
    .map((l) => ({ time: new Date(Number(l.timeNs / 1_000_000n)).toISOString(), severity: l.severityText || String(l.severityNumber), body: bodyText(l.body) }));
  const panics = lines.filter((l) => PANIC.test(l.body) || l.severity.toUpperCase() === 'FATAL' || l.severity.toUpperCase() === 'PANIC');
  return [...panics, ...lines.filter((l) => !panics.includes(l))].slice(0, LOG_LINES);
}

function bodyText(body: unknown): string {
  const text = typeof body === 'string' ? body : JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
