// async-hop: a consumer that started a new trace (a worker goroutine on context.Background(), a message
// consumer whose headers lost `traceparent`) tied back to the producer span it came from.
import { SpanKind } from '../model';
import type { Edge } from './assignment';
import { alignInOrder, assignMaxWeight } from './assignment';
import type { SpanFact } from './facts';
import type { Observation, Stitch } from '../../common/findings';
import { nsToMs } from './findings';
import type { Affinity } from './names';
import { nameAffinity, soundsLikeProducer, subjectWords, words } from './names';
import { CLAIM_CONFIDENCE, type HopResult, type TimeRange, type TraceRequestIds } from './detector';
import type { TraceSet } from './trace-set';

/** The request ids seen in a trace (its spans and its logs). */
interface Side {
  fact: SpanFact;
  subjects: string[];
  messaging: boolean;
  destination: string;
  /** service + operation, to ask whether a producer's trace already holds this consumer. */
  operation: string;
  /** Producers of one operation (or destination) in one instance feed queues alike: judged as a group. */
  feeds: string;
}

interface Pair {
  producer: Side;
  consumer: Side;
  signals: string[];
  confidence: number;
}

const SEND_OPERATIONS = new Set(['publish', 'send', 'create']);
const RECEIVE_OPERATIONS = new Set(['receive', 'process', 'deliver']);

export function findAsyncHops(set: TraceSet, requestIds: TraceRequestIds, focus?: TimeRange): HopResult {
  const options = set.options;
  const producers: Side[] = [];
  const consumers: Side[] = [];
  for (const fact of set.roots) {
    if (!fact.duplicate && isConsumerCandidate(fact) && (!focus || (fact.start >= focus.from && fact.start < focus.to))) consumers.push(sideOf(fact));
  }
  if (consumers.length === 0) return { stitches: [], observations: [] };
  for (const kind of [SpanKind.PRODUCER, SpanKind.INTERNAL, SpanKind.UNSPECIFIED, SpanKind.CLIENT]) {
    for (const fact of set.byKind[kind]) {
      if (fact.duplicate) continue;
      const p = producerSide(fact);
      if (p && !set.isLinkTarget(fact) && !set.hasChildOfKind(fact, SpanKind.CONSUMER)) producers.push(p);
    }
  }
  if (consumers.length === 0 || producers.length === 0) return { stitches: [], observations: [] };

  const tolerance = (p: SpanFact, c: SpanFact) => (p.clock === c.clock ? 0 : options.clockSkewToleranceNs);
  const inTime = (p: SpanFact, c: SpanFact) => c.start >= p.start - tolerance(p, c) && c.start - p.start <= options.maxQueueWaitNs;
  // A producer whose own trace already holds this consumer's operation handed its work over correctly.
  const servedCache = new Map<Side, Map<string, boolean>>();
  const served = (p: Side, c: Side) => {
    let byOperation = servedCache.get(p);
    if (!byOperation) servedCache.set(p, (byOperation = new Map()));
    let yes = byOperation.get(c.operation);
    if (yes === undefined) byOperation.set(c.operation, (yes = set.traceHasOperation(p.fact.traceId, c.fact.service, c.fact.name)));
    return yes;
  };
  const possible = (p: Side, c: Side) => p.fact.traceId !== c.fact.traceId && inTime(p.fact, c.fact) && !served(p, c);

  const pairs: Pair[] = [];
  const taken = new Set<Side>();

  // Shared ids first: each value names its pair, and collisions are resolved by weight, not first come.
  const byValue = new Map<string, number[]>();
  producers.forEach((p, i) => {
    for (const [, value] of p.fact.correlation) {
      const list = byValue.get(value);
      if (list) list.push(i);
      else byValue.set(value, [i]);
    }
  });
  const idConsumers: Side[] = [];
  const idEdges: Edge[][] = [];
  const consumersOfValue = new Map<string, number>();
  for (const c of consumers) {
    const edges: Edge[] = [];
    for (const [, value] of c.fact.correlation) {
      consumersOfValue.set(value, (consumersOfValue.get(value) ?? 0) + 1);
      for (const i of byValue.get(value) ?? []) {
        const p = producers[i];
        if (!possible(p, c) || edges.some((e) => e.producer === i)) continue;
        edges.push({ producer: i, weight: 2 + pairWeight(p, c, nameAffinity(p.subjects, c.subjects) === 'strong', requestIds) });
      }
    }
    if (edges.length > 0) {
      idConsumers.push(c);
      idEdges.push(edges);
    }
  }
  const idMatch = assignMaxWeight(producers.length, idEdges);
  idMatch.forEach((i, k) => {
    if (i < 0) return;
    const p = producers[i];
    const c = idConsumers[k];
    const shared = c.fact.correlation.filter(([, v]) => p.fact.correlation.some(([, pv]) => pv === v));
    const unique = shared.some(([, v]) => byValue.get(v)!.length === 1 && consumersOfValue.get(v) === 1);
    const signals = signalsOf(p, c, requestIds);
    // An id on exactly one producer and one consumer all but proves the pair; one that repeats (a small
    // counter, a reused key) was settled among its holders by the other signals, so less surely.
    const placed = signals.includes('same-instance') || signals.some((s) => s.startsWith('destination:'));
    pairs.push({
      producer: p,
      consumer: c,
      signals: [...shared.map(([key]) => `attribute:${key}`), ...signals],
      confidence: unique ? (placed ? 0.99 : 0.96) : 0.8,
    });
    taken.add(p);
  });
  // a consumer whose id names producers is decided by ids alone
  const decidedByIds = new Set(idConsumers);

  // Then timing, queue by queue: consumers of one operation in one instance (in-process) or of one
  // destination and consumer group (messaging), against the producers that could feed them.
  const groups = new Map<string, Side[]>();
  for (const c of consumers) {
    if (decidedByIds.has(c)) continue;
    const m = c.fact.messaging;
    const key = c.messaging
      ? JSON.stringify(['messaging', m?.destination || c.fact.name, m?.group || c.fact.service, m?.partition ?? ''])
      : JSON.stringify(['in-process', c.fact.instance, c.fact.name]);
    const group = groups.get(key);
    if (group) group.push(c);
    else groups.set(key, [c]);
  }
  const feeding = new Map<string, Side[]>();
  for (const p of producers) {
    if (taken.has(p)) continue;
    const list = feeding.get(p.feeds);
    if (list) list.push(p);
    else feeding.set(p.feeds, [p]);
  }
  for (const group of groups.values()) {
    const first = group[0];
    const compatible: Side[] = [];
    const strong: Side[] = [];
    for (const list of feeding.values()) {
      const relation = related(list[0], first);
      if (relation !== 'none') compatible.push(...list);
      if (relation === 'strong') strong.push(...list);
    }
    const feeders = strong.length > 0 ? strong : compatible;
    if (feeders.length === 0) continue;
    pairs.push(...alignQueue(feeders, group, possible, requestIds, options.maxQueueWaitNs, options.clockSkewToleranceNs));
  }

  return report(oneConsumerEach(pairs));
}

/**
 * Queues are aligned one at a time, so a producer that could feed two queues may have been taken twice:
 * it keeps its surest pair. A message is the exception: pub/sub hands one copy to each consumer group.
 */
function oneConsumerEach(pairs: Pair[]): Pair[] {
  const best = new Map<string, Pair>();
  for (const pair of pairs) {
    const c = pair.consumer.fact;
    const key = pair.producer.messaging && pair.consumer.messaging ? `${pair.producer.fact.spanId}:${c.messaging?.group || c.service}` : pair.producer.fact.spanId;
    const held = best.get(pair.producer.fact.traceId + key);
    if (!held || pair.confidence > held.confidence) best.set(pair.producer.fact.traceId + key, pair);
  }
  return [...best.values()];
}

function report(pairs: Pair[]): HopResult {
  const stitches: Stitch[] = [];
  const observations: Observation[] = [];
  for (const pair of pairs) {
    const p = pair.producer.fact;
    const c = pair.consumer.fact;
    const confidence = Math.round(pair.confidence * 1000) / 1000;
    stitches.push({ kind: 'async-hop', confidence, from: { traceId: p.traceId, spanId: p.spanId }, to: { traceId: c.traceId, spanId: c.spanId }, signals: pair.signals });
    if (confidence < CLAIM_CONFIDENCE) continue;
    const subkind = pair.consumer.messaging || pair.producer.messaging ? 'messaging' : p.instance === c.instance ? 'in-process' : 'cross-process';
    observations.push({
      kind: 'async-hop',
      subkind,
      severity: 'warning',
      service: c.service,
      operation: c.name,
      at: { traceId: c.traceId, spanId: c.spanId },
      evidence: {
        producer: { traceId: p.traceId, spanId: p.spanId, service: p.service, operation: p.name },
        confidence,
        signals: pair.signals,
        waitMs: nsToMs(c.start - p.start),
        hint:
          subkind === 'messaging'
            ? 'The consumer started a new trace: inject the producer context into the message headers, and have the consumer extract it and link to it (or continue it).'
            : 'The work was handed to another goroutine without its context: carry the ctx (or a trace.Link to it) in the job, and start the worker span from it.',
      },
    });
  }
  return { stitches, observations };
}

function isConsumerCandidate(f: SpanFact): boolean {
  if (f.parentSpanId !== '' || f.links.length > 0) return false;
  return f.kind === SpanKind.INTERNAL || f.kind === SpanKind.UNSPECIFIED || f.kind === SpanKind.CONSUMER;
}

function isProducerCandidate(f: SpanFact): boolean {
  if (f.kind === SpanKind.PRODUCER) return true;
  if (f.kind === SpanKind.CONSUMER || f.kind === SpanKind.SERVER) return false;
  if (f.messaging && SEND_OPERATIONS.has(f.messaging.operation)) return true;
  if (f.kind !== SpanKind.INTERNAL && f.kind !== SpanKind.UNSPECIFIED) return false;
  return soundsLikeProducer(f.name) || (f.parentSpanId !== '' && f.correlation.length > 0);
}

// What a span is as a producer or consumer does not change: worked out once per span, across evaluations.
const sides = new WeakMap<SpanFact, Side>();
const producers = new WeakMap<SpanFact, Side | null>();

function sideOf(fact: SpanFact): Side {
  let known = sides.get(fact);
  if (!known) {
    const messaging =
      fact.kind === SpanKind.PRODUCER || fact.kind === SpanKind.CONSUMER || (fact.messaging !== undefined && (SEND_OPERATIONS.has(fact.messaging.operation) || RECEIVE_OPERATIONS.has(fact.messaging.operation)));
    const subjects = subjectWords(fact.name);
    const destination = fact.messaging?.destination ?? '';
    for (const w of words(destination)) if (!subjects.includes(w)) subjects.push(w);
    const operation = `${fact.service}\u0000${fact.name}`;
    const feeds = messaging ? `${fact.service}\u0000${destination || fact.name}` : `${fact.instance}\u0000${fact.name}`;
    known = { fact, subjects, messaging, destination, operation, feeds };
    sides.set(fact, known);
  }
  return known;
}

function producerSide(fact: SpanFact): Side | null {
  let known = producers.get(fact);
  if (known === undefined) {
    known = isProducerCandidate(fact) ? sideOf(fact) : null;
    producers.set(fact, known);
  }
  return known;
}

/** Whether a producer could feed this consumer at all, and how well their names and destinations agree. */
function related(p: Side, c: Side): Affinity {
  if (c.messaging) {
    if (!p.messaging) return 'none';
    const pd = p.fact.messaging?.destination ?? '';
    const cd = c.fact.messaging?.destination ?? '';
    if (pd !== '' && cd !== '') return pd === cd ? 'strong' : 'none';
    return nameAffinity(p.subjects, c.subjects);
  }
  if (p.fact.instance !== c.fact.instance) return 'none';
  return nameAffinity(p.subjects, c.subjects);
}

/** How much a pair is worth in an assignment: 1, more for agreeing names, instance and request ids, less for a failed hand-off. */
function pairWeight(p: Side, c: Side, strongNames: boolean, requestIds: TraceRequestIds): number {
  let weight = 1;
  if ((p.destination !== '' && p.destination === c.destination) || strongNames) weight += 0.3;
  if (p.fact.instance === c.fact.instance) weight += 0.2;
  const shared = sharedRequestId(p, c, requestIds);
  if (shared !== undefined) weight = shared ? weight + 0.6 : weight * 0.3;
  // an enqueue that failed most likely handed nothing over
  if (p.fact.error) weight *= 0.3;
  return weight;
}

/** true when both traces carry request ids and share one, false when both carry some and share none. */
function sharedRequestId(p: Side, c: Side, requestIds: TraceRequestIds): boolean | undefined {
  const pr = requestIds(p.fact.traceId);
  const cr = requestIds(c.fact.traceId);
  if (!pr || !cr || pr.size === 0 || cr.size === 0) return undefined;
  for (const id of cr) if (pr.has(id)) return true;
  return false;
}

function signalsOf(p: Side, c: Side, requestIds: TraceRequestIds): string[] {
  const signals: string[] = [];
  if (p.destination !== '' && p.destination === c.destination) signals.push(`destination:${p.destination}`);
  else if (nameAffinity(p.subjects, c.subjects) === 'strong') signals.push('name');
  if (p.fact.instance === c.fact.instance) signals.push('same-instance');
  if (sharedRequestId(p, c, requestIds)) signals.push('request-id');
  return signals;
}

/**
 * One queue: producers (by the middle of their span, where the hand-off happens) and consumers (by start)
 * aligned so that the n-th consumer to start takes the n-th job handed over (FIFO), skipping producers
 * whose consumer is missing and consumers that are no hop at all. Timing only bounds which pairs are
 * possible; the order decides. Hosts whose clocks (or network paths) run apart would scramble the order,
 * so a first alignment measures each host's offset and a second one aligns on corrected times.
 */
function alignQueue(
  producers: Side[],
  consumers: Side[],
  possible: (p: Side, c: Side) => boolean,
  requestIds: TraceRequestIds,
  maxWaitNs: number,
  clockToleranceNs: number,
): Pair[] {
  // Every consumer of a queue has the same operation (or destination), so name agreement is per producer operation.
  const strong = new Map<string, boolean>();
  const strongNames = (p: Side) => {
    let agree = strong.get(p.fact.name);
    if (agree === undefined) {
      agree = nameAffinity(p.subjects, consumers[0].subjects) === 'strong';
      strong.set(p.fact.name, agree);
    }
    return agree;
  };
  const oneClock = new Set([...producers, ...consumers].map((x) => x.fact.clock)).size === 1;
  const tolerance = oneClock ? 0 : clockToleranceNs;
  const weight = (p: Side, c: Side) => (possible(p, c) ? pairWeight(p, c, strongNames(p), requestIds) : 0);
  let offsets = new Map<string, number>();
  let aligned = align(producers, consumers, offsets, weight, maxWaitNs, tolerance);
  const measured = clockOffsets(aligned);
  // An offset beyond what clocks may disagree by is a queue's wait, not a clock: keep the first alignment.
  if (measured.size > 0 && [...measured.values()].every((o) => Math.abs(o) <= clockToleranceNs)) {
    offsets = measured;
    aligned = align(producers, consumers, offsets, weight, maxWaitNs, tolerance);
  }
  return aligned.pairs.map(([p, c], k) => {
    const signals = signalsOf(p, c, requestIds);
    signals.push('timing', 'fifo-order');
    return { producer: p, consumer: c, signals, confidence: timingConfidence(aligned, k, signals, p.fact.error) };
  });
}

interface Alignment {
  /** Matched pairs, in consumer order. */
  pairs: [Side, Side][];
  /** Corrected hand-off time of each pair's producer and start of its consumer. */
  sent: number[];
  started: number[];
  /** Corrected starts of all consumers of the queue, sorted, matched or not; which of them are matched; and where each pair's consumer sits among them. */
  starts: number[];
  matched: Uint8Array;
  position: number[];
}

/**
 * How many hand-offs back from a consumer's start its producer is looked for: from a short queue up,
 * deeper while pairs sit at the limit, to this many at most.
 */
const FIRST_QUEUE_DEPTH = 16;
const MAX_QUEUE_DEPTH = 4096;

function align(
  producers: Side[],
  consumers: Side[],
  offsets: Map<string, number>,
  pairWeightOf: (p: Side, c: Side) => number,
  maxWaitNs: number,
  toleranceNs: number,
): Alignment {
  const offsetOf = (key: string) => (offsets.size === 0 ? 0 : (offsets.get(key) ?? 0));
  const [ps, sent] = sortedByTime(producers, (p) => (p.fact.start + p.fact.end) / 2 - offsetOf(`p:${p.fact.clock}`));
  const [cs, started] = sortedByTime(consumers, (c) => c.fact.start - offsetOf(`c:${c.fact.clock}`));
  const n = cs.length;
  const byTime = new Int32Array(n);
  const hi = new Int32Array(n);
  let a = 0;
  let b = -1;
  for (let j = 0; j < n; j++) {
    while (a < ps.length && sent[a] < started[j] - maxWaitNs) a++;
    while (b + 1 < ps.length && sent[b + 1] <= started[j] + toleranceNs) b++;
    byTime[j] = a;
    hi[j] = b;
  }
  // Waits break ties only: their total stays below one pair, so they never trade a pair for shorter waits.
  const tieBreak = 0.5 / (n + 1);
  const weight = (i: number, j: number) => {
    const w = pairWeightOf(ps[i], cs[j]);
    if (w <= 0) return 0;
    const wait = Math.abs(started[j] - sent[i]);
    return w - tieBreak * (wait / (wait + 1e6));
  };
  let match: Int32Array;
  for (let depth = FIRST_QUEUE_DEPTH; ; depth *= 4) {
    const lo = byTime.map((t, j) => Math.max(t, hi[j] - depth));
    match = alignInOrder(ps.length, lo, hi, weight);
    const atLimit = match.some((i, j) => i >= 0 && i === lo[j] && lo[j] > byTime[j]);
    if (!atLimit || depth >= MAX_QUEUE_DEPTH) break;
  }
  const result: Alignment = { pairs: [], sent: [], started: [], starts: started, matched: new Uint8Array(n), position: [] };
  for (let j = 0; j < n; j++) {
    const i = match[j];
    if (i < 0) continue;
    result.pairs.push([ps[i], cs[j]]);
    result.sent.push(sent[i]);
    result.started.push(started[j]);
    result.matched[j] = 1;
    result.position.push(j);
  }
  return result;
}

/** Items in time order, with their times. */
function sortedByTime<T>(items: T[], time: (x: T) => number): [T[], number[]] {
  const times = items.map(time);
  const order = items.map((_, i) => i).sort((a, b) => times[a] - times[b]);
  return [order.map((i) => items[i]), order.map((i) => times[i])];
}

/**
 * Per host, how far its side of the queue runs ahead: the low decile of consumer start − producer
 * hand-off over aligned pairs is the fastest delivery plus the clock difference. Solved for producer
 * and consumer hosts together (additively), relative to the busiest producer host.
 */
function clockOffsets(aligned: Alignment): Map<string, number> {
  const cells = new Map<string, { p: string; c: string; delays: number[] }>();
  aligned.pairs.forEach(([p, c], k) => {
    const key = `${p.fact.clock}\u0000${c.fact.clock}`;
    const cell = cells.get(key) ?? { p: `p:${p.fact.clock}`, c: `c:${c.fact.clock}`, delays: [] };
    cell.delays.push(aligned.started[k] - aligned.sent[k]);
    cells.set(key, cell);
  });
  const usable = [...cells.values()].filter((cell) => cell.delays.length >= 20);
  const hosts = new Set(usable.flatMap((cell) => [cell.p, cell.c]));
  if (usable.length === 0 || hosts.size <= 2) return new Map();
  const low = usable.map((cell) => ({ ...cell, q: quantile(cell.delays, 0.1) }));
  const base = quantile(low.map((cell) => cell.q), 0.5);
  const offsets = new Map<string, number>([...hosts].map((h) => [h, 0]));
  for (let round = 0; round < 4; round++) {
    for (const host of hosts) {
      const residuals = low.filter((cell) => cell.c === host || cell.p === host).map((cell) =>
        cell.c === host ? cell.q - base + offsets.get(cell.p)! : -(cell.q - base - offsets.get(cell.c)!),
      );
      offsets.set(host, quantile(residuals, 0.5));
    }
    const busiest = low.reduce((best, cell) => (cell.delays.length > best.delays.length ? cell : best)).p;
    const anchor = offsets.get(busiest)!;
    for (const host of hosts) offsets.set(host, offsets.get(host)! - anchor);
  }
  return offsets;
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** How far apart two consumers may start in the wrong order: a scheduler's wake-up on one host, delivery jitter across hosts. */
const SAME_HOST_JITTER_NS = 25e3;
const CROSS_HOST_JITTER_NS = 250e3;

/**
 * How likely an order-based pair is right. Its neighbours in the queue could have swapped with it when
 * either their starts are within the consumers' jitter or their hand-offs (somewhere inside each
 * producer span) are within the producers' spans: each side flips with a probability falling off
 * exponentially with the gap, and the pair is wrong when exactly one side flipped. Then the other signals:
 * that this consumer reads from this queue at all (names, destination, instance), and a shared request id.
 */
function timingConfidence(aligned: Alignment, k: number, signals: string[], failed: boolean): number {
  const [p, c] = aligned.pairs[k];
  const jitter = c.fact.clock === p.fact.clock ? SAME_HOST_JITTER_NS : CROSS_HOST_JITTER_NS;
  const flip = (gap: number, scale: number) => 0.5 * Math.exp(-Math.abs(gap) / scale);
  let right = 1;
  for (const m of [k - 1, k + 1]) {
    if (m < 0 || m >= aligned.pairs.length) continue;
    const [q] = aligned.pairs[m];
    const handoffSpread = Math.max(jitter, (p.fact.end - p.fact.start + q.fact.end - q.fact.start) / 4);
    const a = flip(aligned.started[m] - aligned.started[k], jitter);
    const b = flip(aligned.sent[m] - aligned.sent[k], handoffSpread);
    right *= 1 - (a + b - 2 * a * b);
  }
  // an unmatched consumer starting right beside this one could have been the one that took this job
  const at = aligned.position[k];
  for (const u of [at - 1, at + 1]) if (u >= 0 && u < aligned.starts.length && !aligned.matched[u]) right *= 1 - flip(aligned.starts[u] - aligned.started[k], jitter);
  if (signals.includes('request-id')) right = 1 - (1 - right) * 0.2;
  let queue = 0.9;
  if (signals.includes('name') || signals.some((s) => s.startsWith('destination:'))) queue += 0.05;
  if (signals.includes('same-instance')) queue += 0.03;
  return right * queue * (failed ? 0.6 : 1);
}
