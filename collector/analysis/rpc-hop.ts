// rpc-hop: a CLIENT span that no SERVER span answered, and a SERVER root in the callee that started a new
// trace for that call (propagators that disagree, a proxy that strips `traceparent`), tied together.
import { SpanKind } from '../model';
import type { Edge } from './assignment';
import { assignMaxWeight } from './assignment';
import { CLAIM_CONFIDENCE, type HopResult, type TimeRange, type TraceRequestIds } from './detector';
import type { SpanFact } from './facts';
import type { Observation, Stitch } from '../../common/findings';
import { nsToMs } from './findings';
import type { TraceSet } from './trace-set';

interface Candidate {
  client: number;
  /** How well the client's destination names this server, 0..1, and by what. */
  destination: number;
  signals: string[];
  /** Server start − client start, client end − server end (ns): each one network leg, plus clock offset. */
  inbound: number;
  outbound: number;
  /** client host + server host: whose clock offset and latency apply. */
  hosts: string;
  /** Both traces carry request ids: whether they share one. */
  sharedRequestId: boolean | undefined;
  /** Timing misfit under the current estimate of the hosts' legs, and its likelihood. */
  misfit: number;
  fit: number;
}

/** How well a pair's timing fits is judged against the spread of the pairs first matched, no finer than this. */
const MIN_TIMING_SCALE_NS = 50e3;

export function findRpcHops(set: TraceSet, requestIds: TraceRequestIds, focus?: TimeRange): HopResult {
  const inFocus = (f: SpanFact) => !focus || (f.start >= focus.from && f.start < focus.to);
  // a client that could have called a server in focus ends after the focus starts
  const servers = set.roots.filter((f) => f.kind === SpanKind.SERVER && f.links.length === 0 && !f.duplicate && inFocus(f));
  if (servers.length === 0) return { stitches: [], observations: [] };
  const clients = set.byKind[SpanKind.CLIENT].filter(
    (f) =>
      !f.db &&
      !f.messaging &&
      (!focus || f.end >= focus.from - set.options.clockSkewToleranceNs) &&
      !f.duplicate &&
      !set.hasServer(f) &&
      (f.rpc || f.address !== '' || f.peerService !== ''),
  );
  if (clients.length === 0 || servers.length === 0) return { stitches: [], observations: [] };

  // Clients by what they name as destination, each list by start, to find those whose span can hold a server's.
  const byDestination = new Map<string, { clients: number[]; starts: number[]; longest: number }>();
  clients.forEach((c, i) => {
    for (const key of clientKeys(c)) {
      const bucket = byDestination.get(key) ?? { clients: [], starts: [], longest: 0 };
      bucket.clients.push(i);
      bucket.longest = Math.max(bucket.longest, c.end - c.start);
      byDestination.set(key, bucket);
    }
  });
  for (const bucket of byDestination.values()) {
    bucket.clients.sort((a, b) => clients[a].start - clients[b].start);
    bucket.starts = bucket.clients.map((i) => clients[i].start);
  }
  const tolerance = set.options.clockSkewToleranceNs;
  const candidates: Candidate[][] = servers.map((s) => {
    const seen = new Set<number>();
    const found: Candidate[] = [];
    for (const key of serverKeys(s)) {
      const bucket = byDestination.get(key);
      if (!bucket) continue;
      const last = upperBound(bucket.starts, s.start + tolerance);
      for (let at = lowerBound(bucket.starts, s.start - tolerance - bucket.longest); at < last; at++) {
        const i = bucket.clients[at];
        if (seen.has(i)) continue;
        seen.add(i);
        const c = clients[i];
        if (c.traceId === s.traceId) continue;
        const slack = c.clock === s.clock ? 0 : tolerance;
        const inbound = s.start - c.start;
        const outbound = c.end - s.end;
        if (inbound < -slack || outbound < -slack) continue;
        const match = destinationMatch(c, s);
        if (match.score < 0.4) continue;
        const shared = sharedRequestId(requestIds(c.traceId), requestIds(s.traceId));
        // the first pass knows no clock offsets: the time the server did not cover is the same on any clock
        const misfit = inbound + outbound;
        found.push({ client: i, destination: match.score, signals: match.signals, inbound, outbound, hosts: `${c.clock}\u0000${s.clock}`, sharedRequestId: shared, misfit, fit: fit(misfit, 1e6) });
      }
    }
    return found;
  });

  // Then, as in EM: measure each host pair's offset and latency, and how far true pairs stray from
  // them, from the pairs matched so far; match again with both legs fitted; until the spread settles.
  let match = assignMaxWeight(clients.length, weighted(candidates));
  let scale = 0;
  for (let round = 0; round < 6; round++) {
    const legs = measureLegs(candidates, match);
    const settled = Math.max(MIN_TIMING_SCALE_NS, refit(candidates, legs, match));
    const change = Math.abs(settled - scale) / settled;
    scale = settled;
    for (const list of candidates) for (const k of list) k.fit = fit(k.misfit, scale);
    match = assignMaxWeight(clients.length, weighted(candidates));
    if (change < 0.05) break;
  }

  // How sure: given that one candidate is the caller, how much of the likelihood is this pair's, seen
  // from the server (among the clients that could have called it) and from the client (among the servers).
  // Then once more, leaving out rivals that are clearly someone else's partner (explaining away).
  const chosen = Array.from(match, (i, j) => (i < 0 ? undefined : candidates[j].find((x) => x.client === i)!));
  const serverOf = new Int32Array(clients.length).fill(-1);
  match.forEach((i, j) => i >= 0 && (serverOf[i] = j));
  let sure = (_j: number) => 0;
  for (let pass = 0; pass < 2; pass++) {
    const taken = sure;
    const elsewhere = (j: number, k: Candidate) => k !== chosen[j] && serverOf[k.client] >= 0 && serverOf[k.client] !== j && taken(serverOf[k.client]) >= 0.9;
    const fitByClient = new Float64Array(clients.length);
    candidates.forEach((list, j) => {
      for (const k of list) if (chosen[j] === k || !(match[j] >= 0 && taken(j) >= 0.9)) fitByClient[k.client] += k.fit;
    });
    const shares = chosen.map((k, j) => {
      if (!k || k.fit <= 1e-9) return 0;
      const serverSide = k.fit / candidates[j].reduce((sum, x) => sum + (elsewhere(j, x) ? 0 : x.fit), 0);
      const clientSide = k.fit / fitByClient[k.client];
      return (serverSide + clientSide) / 2;
    });
    sure = (j) => shares[j];
  }

  const stitches: Stitch[] = [];
  const observations: Observation[] = [];
  match.forEach((i, j) => {
    if (i < 0) return;
    const s = servers[j];
    const c = clients[i];
    const k = chosen[j]!;
    let confidence = sure(j) * (0.85 + 0.15 * k.destination);
    const signals = [...k.signals, 'timing'];
    if (k.sharedRequestId === true) {
      signals.push('request-id');
      confidence = 1 - (1 - confidence) * 0.1;
    } else if (k.sharedRequestId === false) confidence *= 0.3;
    confidence = Math.round(Math.min(0.99, confidence) * 1000) / 1000;
    stitches.push({ kind: 'rpc-hop', confidence, from: { traceId: c.traceId, spanId: c.spanId }, to: { traceId: s.traceId, spanId: s.spanId }, signals });
    if (confidence < CLAIM_CONFIDENCE) return;
    observations.push({
      kind: 'rpc-hop',
      subkind: 'server-root',
      severity: 'warning',
      service: s.service,
      operation: s.name,
      at: { traceId: s.traceId, spanId: s.spanId },
      evidence: {
        client: { traceId: c.traceId, spanId: c.spanId, service: c.service, operation: c.name },
        confidence,
        signals,
        requestLegMs: nsToMs(k.inbound),
        responseLegMs: nsToMs(k.outbound),
        hint:
          `The call from \`${c.service}\` reached \`${s.service}\` without trace context it could use, so the server started a new trace: ` +
          'make both sides use the same propagator (W3C tracecontext, or B3 on both), and check that no proxy drops `traceparent`.',
      },
    });
  });
  return { stitches, observations };
}

/**
 * The likelihood of a timing misfit for a true pair: normal in the misfit, `scale` the misfit of a typical
 * true pair. What a wrong pair's misfit is, is anyone's guess (flat), so ratios of these rank candidates.
 */
function fit(misfit: number, scale: number): number {
  const z = Math.max(0, misfit) / scale;
  return Math.exp(-0.5 * z * z);
}

/** Edges for the assignment; a pair whose timing cannot be true (fit ≈ 0) is left out, so it costs nothing. */
function weighted(candidates: Candidate[][]): Edge[][] {
  return candidates.map((list) =>
    list.filter((k) => k.fit > 1e-9 || k.sharedRequestId === true).map((k) => {
      let weight = k.destination + 2 * k.fit;
      if (k.sharedRequestId === true) weight += 2;
      else if (k.sharedRequestId === false) weight *= 0.3;
      return { producer: k.client, weight };
    }),
  );
}

/** true when both traces carry request ids and share one, false when both carry some and share none. */
function sharedRequestId(a: ReadonlySet<string> | undefined, b: ReadonlySet<string> | undefined): boolean | undefined {
  if (!a || !b || a.size === 0 || b.size === 0) return undefined;
  for (const id of a) if (b.has(id)) return true;
  return false;
}

interface Leg {
  /** One leg's latency, and the server clock's offset from the client's. */
  latency: number;
  offset: number;
}

/**
 * From the pairs matched so far, per client host → server host: half the difference of the legs is the
 * server clock's offset (the half-latency model of Jaeger and Zipkin), half their sum the latency.
 */
function measureLegs(candidates: Candidate[][], match: Int32Array): { byHosts: Map<string, Leg>; overall: Leg } {
  const cells = new Map<string, { offsets: number[]; latencies: number[] }>();
  const all: number[] = [];
  match.forEach((i, j) => {
    if (i < 0) return;
    const k = candidates[j].find((x) => x.client === i)!;
    const cell = cells.get(k.hosts) ?? { offsets: [], latencies: [] };
    cell.offsets.push((k.inbound - k.outbound) / 2);
    cell.latencies.push((k.inbound + k.outbound) / 2);
    cells.set(k.hosts, cell);
    all.push((k.inbound + k.outbound) / 2);
  });
  const overall = { latency: all.length > 0 ? median(all) : 0, offset: 0 };
  const byHosts = new Map<string, Leg>();
  // a few pairs cannot tell a clock from chance
  for (const [hosts, cell] of cells) if (cell.offsets.length >= 5) byHosts.set(hosts, { latency: median(cell.latencies), offset: median(cell.offsets) });
  return { byHosts, overall };
}

/** Sets every candidate's misfit under these legs; returns the median misfit of the matched pairs. */
function refit(candidates: Candidate[][], legs: { byHosts: Map<string, Leg>; overall: Leg }, match: Int32Array): number {
  const misfits: number[] = [];
  candidates.forEach((list, j) => {
    for (const k of list) {
      const leg = legs.byHosts.get(k.hosts) ?? legs.overall;
      k.misfit = Math.abs(k.inbound - leg.latency - leg.offset) + Math.abs(k.outbound - leg.latency + leg.offset);
      if (k.client === match[j]) misfits.push(k.misfit);
    }
  });
  return misfits.length > 0 ? median(misfits) : 1e6;
}

function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function clientKeys(c: SpanFact): string[] {
  const keys: string[] = [];
  if (c.rpc?.service) keys.push(`rpc:${c.rpc.service}`);
  if (c.address !== '') keys.push(`host:${c.address}`);
  if (c.peerService !== '') keys.push(`host:${c.peerService.toLowerCase()}`);
  return keys;
}

function serverKeys(s: SpanFact): string[] {
  const keys = [`host:${s.service.toLowerCase()}`, ...s.hostNames.map((h) => `host:${h}`)];
  if (s.address !== '') keys.push(`host:${s.address}`);
  if (s.rpc?.service) keys.push(`rpc:${s.rpc.service}`);
  return keys;
}

/** How well what the client called names this server: the RPC method, the route, the host. */
function destinationMatch(c: SpanFact, s: SpanFact): { score: number; signals: string[] } {
  const signals: string[] = [];
  let score = 0;
  if (c.rpc?.service && s.rpc?.service) {
    if (c.rpc.service !== s.rpc.service) return { score: 0, signals };
    if (c.rpc.method !== '' && s.rpc.method !== '' && c.rpc.method !== s.rpc.method) return { score: 0, signals };
    score += 0.6;
    signals.push(`rpc:${s.rpc.service}/${s.rpc.method}`);
  }
  if (c.http && s.http) {
    if (c.http.method !== '' && s.http.method !== '' && c.http.method !== s.http.method) return { score: 0, signals };
    if (c.http.path !== '' && (s.http.route !== '' ? routeMatches(s.http.route, c.http.path) : s.http.path === c.http.path)) {
      score += 0.4;
      signals.push('route');
    }
  }
  const names = new Set([s.service.toLowerCase(), ...s.hostNames, s.address]);
  if ((c.address !== '' && names.has(c.address)) || (c.peerService !== '' && names.has(c.peerService.toLowerCase()))) {
    score += 0.4;
    signals.push('address');
  }
  return { score: Math.min(1, score), signals };
}

const routes = new Map<string, RegExp>();

/** `/orders/{id}`, `/orders/:id` and `/files/*` templates against a concrete path. */
export function routeMatches(route: string, path: string): boolean {
  let pattern = routes.get(route);
  if (!pattern) {
    const source = route
      .split('/')
      .map((segment) => (/^(\{.*\}|:.+)$/.test(segment) ? '[^/]+' : segment === '*' ? '.*' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    pattern = new RegExp(`^${source}/?$`);
    if (routes.size > 10_000) routes.clear();
    routes.set(route, pattern);
  }
  return pattern.test(path);
}
