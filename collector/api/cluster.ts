// The Kubernetes objects behind spans and findings, for the UI: judged against the cluster history the store
// recorded, at each span's time.
import type { ObjectLink } from '../../common/cluster';
import type { SpanRef } from '../../common/findings';
import { ClusterHistory, objectsForOccurrences, placeOf } from '../analysis/cluster-links';
import type { Resource } from '../model';
import type { StoreReader } from '../store/types';

/** How long one reading of the history serves before the store is read again. */
const HISTORY_MAX_AGE_MS = 5_000;

export class ClusterLinks {
  private cached: { history: ClusterHistory; readAtMs: number } | undefined;

  constructor(private readonly reader: StoreReader) {}

  /** The objects behind a span that ran in `resource` from `startNs`; [] without cluster history. */
  forSpan(span: { resource: Resource; startNs: bigint }): ObjectLink[] {
    const history = this.history();
    if (!history) return [];
    const place = placeOf(span);
    const link = history.linkResource(place.attributes, place.ms);
    return link ? history.objectsFor(link, place.ms) : [];
  }

  /** The objects behind a finding's occurrences. */
  forOccurrences(occurrences: readonly SpanRef[]): ObjectLink[] {
    const history = this.history();
    if (!history) return [];
    return objectsForOccurrences(history, occurrences, (ref) => {
      const span = this.reader.spanPlace(ref.traceId, ref.spanId);
      return span && placeOf(span);
    });
  }

  /** The most recently seen cluster's history, read again once it is a few seconds old. */
  private history(): ClusterHistory | undefined {
    const now = Date.now();
    if (this.cached && now - this.cached.readAtMs < HISTORY_MAX_AGE_MS) return this.cached.history;
    const [cluster] = this.reader.clusters();
    if (cluster === undefined) return undefined;
    this.cached = { history: new ClusterHistory(this.reader.clusterHistory(cluster)), readAtMs: now };
    return this.cached.history;
  }
}
