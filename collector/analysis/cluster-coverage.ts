// What the cluster detectors could not judge, counted so `analyze --cluster` can say so instead of guessing.
import { plural } from '../../common/text';

export interface ClusterCoverage {
  /** Spans earlier than the first recorded observation of the cluster: only the objects' own timestamps speak for that time. */
  beforeHistory: number;
  /** CLIENT spans that name no peer IP: stale-peer-address cannot check them. */
  callsWithoutPeerAddress: number;
  /** SERVER spans no link rule tied to a pod. */
  serverSpansUnlinked: number;
}

export function emptyCoverage(): ClusterCoverage {
  return { beforeHistory: 0, callsWithoutPeerAddress: 0, serverSpansUnlinked: 0 };
}

/** The coverage as sentences for a person, only those that apply. */
export function coverageNotes(c: ClusterCoverage): string[] {
  const notes: string[] = [];
  if (c.beforeHistory) notes.push(`${c.beforeHistory} ${plural(c.beforeHistory, 'span is', 'spans are')} older than the first recorded observation of the cluster: judged only by what the objects' own timestamps say (deletion, terminations, readiness changes); run serve --cluster beside your services to record the cluster as it changes`);
  if (c.serverSpansUnlinked) notes.push(`${c.serverSpansUnlinked} SERVER ${plural(c.serverSpansUnlinked, 'span')} could not be tied to a pod (no k8s.pod.*, container.id, host.name or service.instance.id that matches): served-while-terminating and ready-but-failing cannot judge them`);
  if (c.callsWithoutPeerAddress) notes.push(`${c.callsWithoutPeerAddress} CLIENT ${plural(c.callsWithoutPeerAddress, 'span names', 'spans name')} no peer IP (network.peer.address, or server.address as an IP): stale-peer-address and restart-during-trace cannot tell which pod they called`);
  return notes;
}
