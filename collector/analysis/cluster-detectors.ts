// The detectors only the cluster can prove, run together over one trace against the recorded history, with
// what they could not judge counted; and the log lookup restart-during-trace shows the dying instance's lines from.
import type { Observation } from '../../common/findings';
import { SpanKind } from '../../common/telemetry';
import type { LogRecord } from '../model';
import type { AssembledTrace } from './assemble';
import type { ClusterCoverage } from './cluster-coverage';
import { placeOf, type ClusterHistory } from './cluster-links';
import { findRestartDuringTrace, type PodLogs } from './restart-during-trace';
import { findServedWhileTerminating } from './served-while-terminating';
import { peerAddressOf } from './span-outcome';
import { findStalePeerAddress } from './stale-peer-address';

/** served-while-terminating, restart-during-trace and stale-peer-address over one trace (ready-but-failing is cross-trace). */
export function clusterObservations(trace: AssembledTrace, history: ClusterHistory, options: { logs?: PodLogs; coverage?: ClusterCoverage } = {}): Observation[] {
  if (options.coverage) countCoverage(trace, history, options.coverage);
  return [...findServedWhileTerminating(trace, history), ...findRestartDuringTrace(trace, history, options.logs), ...findStalePeerAddress(trace, history)];
}

function countCoverage(trace: AssembledTrace, history: ClusterHistory, coverage: ClusterCoverage): void {
  for (const span of trace.spans) {
    if (span.kind !== SpanKind.SERVER && span.kind !== SpanKind.CLIENT) continue;
    const place = placeOf(span);
    if (place.ms < history.since) coverage.beforeHistory++;
    else if (span.kind === SpanKind.CLIENT) {
      if (peerAddressOf(span) === undefined) coverage.callsWithoutPeerAddress++;
    } else if (!history.linkResource(place.attributes, place.ms, place.peers)) coverage.serverSpansUnlinked++;
  }
}

/** The records each pod's instance logged, found by linking each record's resource at its time (pods' logs, in time order). */
export function podLogsOf(logs: Iterable<LogRecord>, history: ClusterHistory): PodLogs {
  let byPod: Map<string, LogRecord[]> | undefined;
  return (podUid, fromMs, toMs) => {
    if (!byPod) {
      byPod = new Map();
      for (const record of logs) {
        const link = history.linkResource(record.resource.attributes, Number(record.timeNs / 1_000_000n), record.resource.peers);
        if (!link) continue;
        const list = byPod.get(link.pod.uid);
        if (list) list.push(record);
        else byPod.set(link.pod.uid, [record]);
      }
    }
    return (byPod.get(podUid) ?? []).filter((r) => {
      const ms = Number(r.timeNs / 1_000_000n);
      return ms >= fromMs && ms <= toMs;
    });
  };
}
