// rpc-hop: a CLIENT span that no SERVER span answered, and a SERVER root in the callee that started a new
// trace for that call (propagators that disagree, a proxy that strips `traceparent`), tied together.
import { SpanKind } from '../model';
import type { Edge } from './assignment';
import { assignMaxWeight } from './assignment';
import type { HopResult, TraceRequestIds } from './async-hop';
import { CLAIM_CONFIDENCE } from './async-hop';
import type { SpanFact } from './facts';
import type { Observation, Stitch } from './findings';
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
}

/** How well a pair's timing fits is judged against the spread of the pairs first matched, no finer than this. */
const MIN_TIMING_SCALE_NS = 50e3;

export function findRpcHops(set: TraceSet, requestIds: TraceRequestIds): HopResult {
  const clients = set.spans.filter(
    (f) => f.kind === SpanKind.CLIENT && !f.db && !f.messaging && set.span(f.traceId, f.spanId) === f && !set.hasServer(f) && (f.rpc || f.address !== '' || f.peerService !== ''),
  );
  const servers = set.spans.filter((f) => f.kind === SpanKind.SERVER && f.parentSpanId === '' && f.links.length === 0 && set.span(f.traceId, f.spanId) === f);
  if (clients.length === 0 || servers.length === 0) return { stitches: [], observations: [] };

  const byDestination = new Map<string, number[]>();
  clients.forEach((c, i) => {
    for (const key of clientKeys(c)) {
      const list = byDestination.get(key);
      if (list) list.push(i);
      else byDestination.set(key, [i]);
    }
  });
  const tolerance = set.options.clockSkewToleranceNs;
  const candidates: Candidate[][] = servers.map((s) => {
    const seen = new Set<number>();
    const found: Candidate[] = [];
    for (const key of serverKeys(s)) {
      for (const i of byDestination.get(key) ?? []) {
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
        found.push({ client: i, destination: match.score, signals: match.signals, inbound, outbound });
      }
    }
    return found;
  });

  // First pass: the time a server did not cover of its client's span (network both ways) is the same on
  // any clock. Then, as in EM: measure each host pair's offset and latency, and how far true pairs stray
  // from them, from the pairs matched so far; match again with both legs fitted; until the spread settles.
  let match = assignMaxWeight(clients.length, weighted(candidates, servers, clients, requestIds, (k) => fit(k.inbound + k.outbound, 1e6)));
  let legs = measureLegs(candidates, match, servers, clients);
  let scale = Math.max(MIN_TIMING_SCALE_NS, legs.spread);
  const residual = (s: SpanFact, k: Candidate) => {
    const leg = legs.of(clients[k.client].clock, s.clock);
    return Math.abs(k.inbound - leg.latency - leg.offset) + Math.abs(k.outbound - leg.latency + leg.offset);
  };
  const fitOf = (s: SpanFact, k: Candidate) => fit(residual(s, k), scale);
  for (let round = 0; round < 5; round++) {
    match = assignMaxWeight(clients.length, weighted(candidates, servers, clients, requestIds, (k, s) => fitOf(s, k)));
    legs = measureLegs(candidates, match, servers, clients);
    const settled = Math.max(MIN_TIMING_SCALE_NS, legs.spread);
    const change = Math.abs(settled - scale) / scale;
    scale = settled;
    if (change < 0.05) break;
  }

  // How sure: given that one candidate is the caller, how much of the likelihood is this pair's, seen
  // from the server (among the clients that could have called it) and from the client (among the servers).
  const fitByClient = new Map<number, number>();
  candidates.forEach((list, j) => {
    for (const k of list) fitByClient.set(k.client, (fitByClient.get(k.client) ?? 0) + fitOf(servers[j], k));
  });

  const stitches: Stitch[] = [];
  const observations: Observation[] = [];
  match.forEach((i, j) => {
    if (i < 0) return;
    const s = servers[j];
    const c = clients[i];
    const k = candidates[j].find((x) => x.client === i)!;
    const own = fitOf(s, k);
    const serverSide = own / candidates[j].reduce((sum, x) => sum + fitOf(s, x), 0);
    const clientSide = own / fitByClient.get(i)!;
    let confidence = (own > 0 ? Math.min(serverSide, clientSide) : 0) * (0.85 + 0.15 * k.destination);
    const signals = [...k.signals, 'timing'];
    const shared = sharedRequestId(requestIds(c.traceId), requestIds(s.traceId));
    if (shared === true) {
      signals.push('request-id');
      confidence = 1 - (1 - confidence) * 0.1;
    } else if (shared === false) confidence *= 0.3;
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

function weighted(candidates: Candidate[][], servers: SpanFact[], clients: SpanFact[], requestIds: TraceRequestIds, fitOf: (k: Candidate, s: SpanFact) => number): Edge[][] {
  return candidates.map((list, j) =>
    list.map((k) => {
      let weight = k.destination + 2 * fitOf(k, servers[j]);
      const shared = sharedRequestId(requestIds(clients[k.client].traceId), requestIds(servers[j].traceId));
      if (shared === true) weight += 2;
      else if (shared === false) weight *= 0.3;
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

interface Legs {
  /** Latency of one leg and the server clock's offset from the client's, for a pair of hosts. */
  of(clientClock: string, serverClock: string): { latency: number; offset: number };
  /** Median misfit of the first pass's pairs under these legs. */
  spread: number;
}

/**
 * From the first pass's pairs, per client host → server host: half the difference of the legs is the
 * server clock's offset (the half-latency model of Jaeger and Zipkin), half their sum the latency.
 */
function measureLegs(candidates: Candidate[][], match: Int32Array, servers: SpanFact[], clients: SpanFact[]): Legs {
  const byHosts = new Map<string, { offsets: number[]; latencies: number[] }>();
  const all: number[] = [];
  match.forEach((i, j) => {
    if (i < 0) return;
    const k = candidates[j].find((x) => x.client === i)!;
    const key = `${clients[i].clock}\u0000${servers[j].clock}`;
    const cell = byHosts.get(key) ?? { offsets: [], latencies: [] };
    cell.offsets.push((k.inbound - k.outbound) / 2);
    cell.latencies.push((k.inbound + k.outbound) / 2);
    byHosts.set(key, cell);
    all.push((k.inbound + k.outbound) / 2);
  });
  const latency = all.length > 0 ? median(all) : 0;
  const legs = new Map<string, { latency: number; offset: number }>();
  for (const [key, cell] of byHosts) {
    // a few pairs cannot tell a clock from chance
    legs.set(key, cell.offsets.length >= 5 ? { latency: median(cell.latencies), offset: median(cell.offsets) } : { latency, offset: 0 });
  }
  const of = (clientClock: string, serverClock: string) => legs.get(`${clientClock}\u0000${serverClock}`) ?? { latency, offset: 0 };
  const misfits: number[] = [];
  match.forEach((i, j) => {
    if (i < 0) return;
    const k = candidates[j].find((x) => x.client === i)!;
    const leg = of(clients[i].clock, servers[j].clock);
    misfits.push(Math.abs(k.inbound - leg.latency - leg.offset) + Math.abs(k.outbound - leg.latency + leg.offset));
  });
  return { of, spread: misfits.length > 0 ? median(misfits) : 1e6 };
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
