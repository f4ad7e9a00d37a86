// The detectors that look across traces and at logs: stitching (async-hop, rpc-hop), dual ids, sampling
// skew and lost log context, over one TraceSet (a whole set of files, or the window `serve` keeps).
import { findAsyncHops } from './async-hop';
import { CLAIM_CONFIDENCE, type TimeRange } from './detector';
import { findDualIds, indexRequestIds } from './dual-id';
import type { Observation, Stitch } from '../../common/findings';
import { findLostLogContext } from './log-context';
import { findRpcHops } from './rpc-hop';
import { findSamplingSkew } from './sampling';
import type { TraceSet } from './trace-set';

export interface CrossTraceResult {
  observations: Observation[];
  stitches: Stitch[];
}

/** A stretch of time in ns after the set's epoch. */
/**
 * `focus` limits the costly matching to consumers, servers and log records in that stretch (producers and
 * clients are taken from the whole set): how a window is judged without re-matching all the data held.
 */
export function analyzeCrossTrace(set: TraceSet, focus?: TimeRange): CrossTraceResult {
  const requestIds = indexRequestIds(set);
  const async = findAsyncHops(set, requestIds.ofTrace, focus);
  const rpc = findRpcHops(set, requestIds.ofTrace, focus);
  const stitches = [...async.stitches, ...rpc.stitches];
  const claimed = stitches.filter((s) => s.confidence >= CLAIM_CONFIDENCE);
  return {
    observations: [
      ...async.observations,
      ...rpc.observations,
      ...findDualIds(set, requestIds, claimed),
      ...findSamplingSkew(set, requestIds, focus),
      ...findLostLogContext(set, focus).observations,
    ],
    stitches,
  };
}
