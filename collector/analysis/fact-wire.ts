// Facts as they travel from the analysis worker to the window worker: every number in one Float64Array and every
// string of the batch once in a list, so that a batch of thousands of facts is two arrays to copy rather than
// thousands of objects to clone field by field (structured clone cost ~2.75 µs a fact on each side), and the
// facts built on the sending side die young instead of living until the batch is sent. The receiving side builds
// the facts on its own epoch, with one copy of each string it already holds.
import type { SpanKind } from '../model';
import type { Messaging, LogFact, SpanFact } from './facts';

export interface PackedFacts {
  /** The epoch the facts' times are counted from (FactBuilder.epochNs). */
  epochNs: bigint;
  numbers: Float64Array;
  strings: string[];
}

const SPAN = 0;
const LOG = 1;

// Bits of a span's booleans and of which optional parts follow it.
const DUPLICATE = 1;
const ERROR = 2;
const DB = 4;
const MESSAGING = 8;
const RPC = 16;
const HTTP = 32;

/** Packs facts of one epoch as they are built (spans and records in any order). */
export class FactPacker {
  private numbers = new Float64Array(16_384);
  private length = 0;
  private strings: string[] = [];
  /** Index of each repeated string (names, services, attributes); ids that are new with each span are not looked up. */
  private readonly index = new Map<string, number>();
  /** Host-name lists as one string each (a list is shared by the spans of a resource). */
  private readonly hostNames = new WeakMap<readonly string[], string>();

  constructor(readonly epochNs: bigint) {}

  span(f: SpanFact): void {
    this.reserve(64 + 2 * (f.hostNames.length + f.links.length + 2 * f.correlation.length + f.requestIds.length));
    const n = this.numbers;
    let bits = (f.duplicate ? DUPLICATE : 0) | (f.error ? ERROR : 0) | (f.db ? DB : 0);
    if (f.messaging) bits |= MESSAGING;
    if (f.rpc) bits |= RPC;
    if (f.http) bits |= HTTP;
    n[this.length++] = SPAN;
    n[this.length++] = bits;
    n[this.length++] = f.start;
    n[this.length++] = f.end;
    n[this.length++] = f.kind;
    n[this.length++] = f.flags;
    this.str(f.traceId);
    this.unique(f.spanId);
    this.unique(f.parentSpanId);
    this.str(f.service);
    this.str(f.instance);
    this.str(f.clock);
    this.str(f.name);
    this.str(f.traceState);
    this.str(f.address);
    this.str(f.peerService);
    this.str(this.joined(f.hostNames));
    this.list(f.links);
    n[this.length++] = f.correlation.length;
    for (const [key, value] of f.correlation) {
      this.str(key);
      this.str(value);
    }
    this.list(f.requestIds);
    const m = f.messaging;
    if (m) {
      this.str(m.system);
      this.str(m.destination);
      this.str(m.operation);
      this.str(m.group);
      this.str(m.partition);
    }
    if (f.rpc) {
      this.str(f.rpc.service);
      this.str(f.rpc.method);
    }
    if (f.http) {
      this.str(f.http.method);
      this.str(f.http.route);
      this.str(f.http.path);
    }
  }

  log(f: LogFact): void {
    this.reserve(16 + f.requestIds.length);
    const n = this.numbers;
    n[this.length++] = LOG;
    n[this.length++] = f.index;
    n[this.length++] = f.flags;
    n[this.length++] = f.time;
    // exact whatever its size: the high and low 32 bits
    n[this.length++] = Number(f.timeNs >> 32n);
    n[this.length++] = Number(f.timeNs & 0xffff_ffffn);
    this.str(f.traceId);
    this.str(f.spanId);
    this.str(f.service);
    this.str(f.instance);
    this.str(f.logger);
    this.unique(f.body);
    this.list(f.requestIds);
  }

  /** What was packed, to be sent; the packer starts over. */
  pack(): PackedFacts {
    const packed = { epochNs: this.epochNs, numbers: this.numbers.slice(0, this.length), strings: this.strings };
    this.length = 0;
    this.strings = [];
    this.index.clear();
    return packed;
  }

  private reserve(count: number): void {
    if (this.length + count <= this.numbers.length) return;
    const grown = new Float64Array(Math.max(this.numbers.length * 2, this.length + count));
    grown.set(this.numbers.subarray(0, this.length));
    this.numbers = grown;
  }

  private str(value: string): void {
    let i = this.index.get(value);
    if (i === undefined) {
      i = this.strings.push(value) - 1;
      this.index.set(value, i);
    }
    this.numbers[this.length++] = i;
  }

  private unique(value: string): void {
    this.numbers[this.length++] = this.strings.push(value) - 1;
  }

  private joined(list: readonly string[]): string {
    let joined = this.hostNames.get(list);
    if (joined === undefined) this.hostNames.set(list, (joined = list.join(SEPARATOR)));
    return joined;
  }

  private list(values: readonly string[]): void {
    this.numbers[this.length++] = values.length;
    for (const value of values) this.str(value);
  }
}

/**
 * The facts of a packed batch, their times moved to `epochNs`, with the strings that repeat across batches (services,
 * instances, clocks, names, addresses, loggers, host-name lists) replaced by the copies `strings` holds (a batch
 * brings each string once).
 */
export function unpackFacts(packed: PackedFacts, epochNs: bigint, strings: Strings): { spans: SpanFact[]; logs: LogFact[] } {
  const shift = Number(packed.epochNs - epochNs);
  const n = packed.numbers;
  const table = packed.strings;
  const interned: (string | undefined)[] = new Array(table.length);
  let at = 0;
  const str = () => table[n[at++]];
  const shared = () => {
    const i = n[at++];
    return (interned[i] ??= strings.of(table[i]));
  };
  const list = () => {
    const count = n[at++];
    if (count === 0) return NONE;
    const values: string[] = new Array(count);
    for (let i = 0; i < count; i++) values[i] = str();
    return values;
  };
  const spans: SpanFact[] = [];
  const logs: LogFact[] = [];
  while (at < n.length) {
    if (n[at++] === SPAN) {
      const bits = n[at++];
      const start = n[at++] + shift;
      const end = n[at++] + shift;
      const kind = n[at++] as SpanKind;
      const flags = n[at++];
      const traceId = str();
      const spanId = str();
      const parentSpanId = str();
      const service = shared();
      const instance = shared();
      const clock = shared();
      const name = shared();
      const traceState = str();
      const address = shared();
      const peerService = str();
      const hostNames = strings.list(shared());
      const links = list();
      const pairs = n[at++];
      const correlation: [string, string][] = pairs === 0 ? NO_PAIRS : [];
      for (let i = 0; i < pairs; i++) correlation.push([str(), str()]);
      const requestIds = list();
      const messaging: Messaging | undefined = bits & MESSAGING ? { system: str(), destination: str(), operation: str(), group: str(), partition: str() } : undefined;
      const rpc = bits & RPC ? { service: str(), method: str() } : undefined;
      const http = bits & HTTP ? { method: str(), route: str(), path: str() } : undefined;
      spans.push({
        traceId,
        spanId,
        parentSpanId,
        service,
        instance,
        clock,
        hostNames,
        name,
        kind,
        duplicate: (bits & DUPLICATE) !== 0,
        start,
        end,
        flags,
        traceState,
        error: (bits & ERROR) !== 0,
        links,
        correlation,
        requestIds,
        messaging,
        rpc,
        http,
        address,
        peerService,
        db: (bits & DB) !== 0,
      });
    } else {
      const index = n[at++];
      const flags = n[at++];
      const time = n[at++] + shift;
      const timeNs = (BigInt(n[at++]) << 32n) + BigInt(n[at++]);
      logs.push({
        index,
        flags,
        time,
        timeNs,
        traceId: str(),
        spanId: str(),
        service: shared(),
        instance: shared(),
        logger: shared(),
        body: str(),
        requestIds: list(),
      });
    }
  }
  return { spans, logs };
}

// as FactBuilder leaves them: one shared empty array each, never written to
const NONE: string[] = [];
const NO_PAIRS: [string, string][] = [];

const SEPARATOR = '\u0000';

/** One copy of each string (and list of strings) seen lately: at most MAX_STRINGS, then it starts again. */
export class Strings {
  private static readonly MAX_STRINGS = 100_000;
  private readonly seen = new Map<string, string>();
  private readonly lists = new Map<string, readonly string[]>();

  of(value: string): string {
    const known = this.seen.get(value);
    if (known !== undefined) return known;
    if (this.seen.size >= Strings.MAX_STRINGS) this.seen.clear();
    this.seen.set(value, value);
    return value;
  }

  /** The list a string of FactPacker's joined (one array for every span of a resource). */
  list(joined: string): readonly string[] {
    if (joined === '') return NONE;
    let list = this.lists.get(joined);
    if (list === undefined) {
      if (this.lists.size >= 1000) this.lists.clear();
      this.lists.set(joined, (list = joined.split(SEPARATOR)));
    }
    return list;
  }
}
