// What a detector needs to know beyond the one trace it looks at. The store answers these over SQLite;
// `memoryContext` answers them for a set of traces held in memory (files, tests).
import type { Span } from '../model';
import { SpanFlags, serviceName } from '../model';

export interface AnalysisContext {
  /** Trace ids of every trace holding a span with this id. */
  locateSpanId(spanId: string): readonly string[];
  /** Services seen, in any trace, as the remote parent of a span of `operation` in `service`. */
  callersOf(service: string, operation: string): readonly string[];
  /** Number of traces holding a sampled span of this service. */
  sampledTraceCount(service: string): number;
}

/** Whether the span's context was sampled. A span imported without any flags was exported, so it was. */
export function isSampled(span: Span): boolean {
  return span.flags === 0 || (span.flags & SpanFlags.SAMPLED) !== 0;
}

/** Whether the span's parent context came from another process: true, false, or null when the sender did not say. */
export function parentIsRemote(span: Span): boolean | null {
  if ((span.flags & SpanFlags.CONTEXT_HAS_IS_REMOTE) === 0) return null;
  return (span.flags & SpanFlags.CONTEXT_IS_REMOTE) !== 0;
}

export function memoryContext(traces: Iterable<readonly Span[]>): AnalysisContext {
  const context = new TracesContext();
  for (const spans of traces) context.add(spans);
  return context;
}

/**
 * Answers the cross-trace questions from the traces added to it, one trace per `add`. With `maxSpanIds`
 * it forgets the oldest span ids first, so `hopscope serve` can feed it every settled trace for as long as
 * it runs: a parent in another trace is almost always close in time.
 */
export class TracesContext implements AnalysisContext {
  private readonly spanIds: SpanIdMap;
  private readonly callers = new Map<string, Set<string>>();
  private readonly sampledTraces = new Map<string, number>();

  constructor(maxSpanIds = Infinity) {
    this.spanIds = new SpanIdMap(maxSpanIds);
  }

  add(spans: readonly Span[]): void {
    const byId = new Map<string, Span>();
    const sampledServices = new Set<string>();
    for (const span of spans) {
      if (!byId.has(span.spanId)) byId.set(span.spanId, span);
      this.spanIds.remember(span.spanId, span.traceId);
      if (isSampled(span)) sampledServices.add(serviceName(span.resource));
    }
    for (const service of sampledServices) this.sampledTraces.set(service, (this.sampledTraces.get(service) ?? 0) + 1);
    for (const span of spans) {
      const parent = span.parentSpanId === '' ? undefined : byId.get(span.parentSpanId);
      if (!parent || parent === span) continue;
      const service = serviceName(span.resource);
      const parentService = serviceName(parent.resource);
      if (parentService !== service || parentIsRemote(span) === true) addTo(this.callers, callerKey(service, span.name), parentService);
    }
  }

  /** Span ids held (an id seen again after a turnover is counted in both generations until the older goes). */
  spanIdCount(): number {
    return this.spanIds.size;
  }

  locateSpanId(spanId: string): readonly string[] {
    return this.spanIds.locate(spanId);
  }

  callersOf(service: string, operation: string): readonly string[] {
    return [...(this.callers.get(callerKey(service, operation)) ?? [])];
  }

  sampledTraceCount(service: string): number {
    return this.sampledTraces.get(service) ?? 0;
  }
}

/**
 * Span id → trace ids, in two generations: when the newer holds half the cap it becomes the older and the older
 * is dropped, so at most `max` ids are held and forgetting is O(1). An id seen again goes into the newer generation
 * with every trace the older knew it in. Bounded maps run for as long as serve does, so theirs is the common case:
 * ids as W3C sends them (16 and 32 lowercase hex digits) are kept as numbers in open-addressing tables of typed
 * arrays, which the garbage collector never walks (a Map of id strings cost 9 s and a share of the collections of
 * a 5M-span drain); other ids, and the rare span id found in a second trace, in Maps beside them.
 */
class SpanIdMap {
  private recent: Generation;
  private older: Generation;
  /** The last trace id parsed and its four words: a trace's spans come together. */
  private traceText = '';
  private readonly trace = new Uint32Array(4);
  private traceIsHex = false;

  constructor(private readonly max: number) {
    // unbounded (a file's traces): tables grow as they fill
    const slots = Number.isFinite(max) ? tableSize(Math.ceil(max / 2)) : MIN_SLOTS;
    this.recent = new Generation(slots);
    this.older = new Generation(slots);
  }

  get size(): number {
    return this.recent.size + this.older.size;
  }

  remember(spanId: string, traceId: string): void {
    if (traceId !== this.traceText) {
      this.traceText = traceId;
      this.traceIsHex = traceId.length === 32 && hexWords(traceId, 4, this.trace);
    }
    const trace = this.traceIsHex ? this.trace : undefined;
    if (!(spanId.length === 16 && hexWords(spanId, 2, SPAN))) return this.rememberOther(spanId, traceId);
    let slot = this.recent.slotOf(SPAN);
    if (slot >= 0) return this.recent.addTrace(slot, spanId, trace, traceId);
    if (this.recent.size >= this.max / 2) {
      this.turnOver();
      slot = this.recent.slotOf(SPAN);
    }
    slot = this.recent.insert(~slot, SPAN, spanId, trace, traceId);
    // what the older generation knew of it comes along, so that nothing is lost when the older goes
    const older = this.older.slotOf(SPAN);
    if (older >= 0) for (const known of this.older.tracesAt(older, spanId)) this.recent.addTrace(slot, spanId, undefined, known);
  }

  private rememberOther(spanId: string, traceId: string): void {
    if (!this.recent.others.has(spanId) && this.recent.size >= this.max / 2) this.turnOver();
    for (const known of this.older.others.get(spanId) ?? []) this.recent.addOther(spanId, known);
    this.recent.addOther(spanId, traceId);
  }

  private turnOver(): void {
    const dropped = this.older;
    this.older = this.recent;
    this.recent = dropped.clear();
  }

  locate(spanId: string): readonly string[] {
    const hex = spanId.length === 16 && hexWords(spanId, 2, SPAN);
    for (const generation of [this.recent, this.older]) {
      const known = hex ? generation.locate(SPAN, spanId) : (generation.others.get(spanId) ?? []);
      if (known.length > 0) return known;
    }
    return [];
  }
}

const MIN_SLOTS = 1024;
/** Scratch words of the span id being looked up. */
const SPAN = new Uint32Array(2);

/** A power of two at least twice `entries`: linear probing stays short at half full. */
function tableSize(entries: number): number {
  let slots = MIN_SLOTS;
  while (slots < entries * 2) slots *= 2;
  return slots;
}

/**
 * One generation: span ids of 16 hex digits as two words in an open-addressing table (a slot is free while its
 * words are both zero; the all-zero span id is invalid, so it goes to `others`), each with its first trace id as
 * four words (all zero: the trace id was not hex, see `otherTraces`). Further trace ids of a span id, and every
 * span id that is not hex, in Maps.
 */
class Generation {
  size = 0;
  /** Span ids that are not 16 hex digits → their trace ids. */
  readonly others = new Map<string, string[]>();
  private keys: Uint32Array;
  private traces: Uint32Array;
  private mask: number;
  /** Span id (hex) → its trace ids beyond the first, or its only one when that is not hex. */
  private readonly otherTraces = new Map<string, string[]>();

  constructor(private slots: number) {
    this.keys = new Uint32Array(slots * 2);
    this.traces = new Uint32Array(slots * 4);
    this.mask = slots - 1;
  }

  clear(): this {
    this.keys.fill(0);
    this.traces.fill(0);
    this.otherTraces.clear();
    this.others.clear();
    this.size = 0;
    return this;
  }

  /** The slot holding `id`, or the one's complement of the free slot where it would go. */
  slotOf(id: Uint32Array): number {
    const hi = id[0];
    const lo = id[1];
    let h = Math.imul(hi ^ Math.imul(lo, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    for (let slot = h & this.mask; ; slot = (slot + 1) & this.mask) {
      const a = this.keys[slot * 2];
      const b = this.keys[slot * 2 + 1];
      if (a === hi && b === lo) return slot;
      if (a === 0 && b === 0) return ~slot;
    }
  }

  /** Puts `id` in the free `slot` (from slotOf) with its first trace id; returns the slot it is in. */
  insert(slot: number, id: Uint32Array, text: string, trace: Uint32Array | undefined, traceText: string): number {
    if (this.size * 2 >= this.slots) {
      this.grow();
      slot = ~this.slotOf(id);
    }
    this.keys[slot * 2] = id[0];
    this.keys[slot * 2 + 1] = id[1];
    this.size++;
    if (trace) {
      const at = slot * 4;
      this.traces[at] = trace[0];
      this.traces[at + 1] = trace[1];
      this.traces[at + 2] = trace[2];
      this.traces[at + 3] = trace[3];
    } else addToList(this.otherTraces, text, traceText);
    return slot;
  }

  /** Adds a trace id (its words in `trace` when it is hex) to what is known of the span id in `slot`. */
  addTrace(slot: number, text: string, trace: Uint32Array | undefined, traceText: string): void {
    const at = slot * 4;
    const t = this.traces;
    if (trace) {
      if (t[at] === trace[0] && t[at + 1] === trace[1] && t[at + 2] === trace[2] && t[at + 3] === trace[3]) return;
    } else if ((t[at] | t[at + 1] | t[at + 2] | t[at + 3]) !== 0 && traceText === hexText(t.subarray(at, at + 4))) return;
    addToList(this.otherTraces, text, traceText);
  }

  addOther(text: string, traceText: string): void {
    if (!this.others.has(text)) this.size++;
    addToList(this.others, text, traceText);
  }

  locate(id: Uint32Array, text: string): readonly string[] {
    const slot = this.slotOf(id);
    return slot < 0 ? [] : this.tracesAt(slot, text);
  }

  tracesAt(slot: number, text: string): string[] {
    const first = this.traces.subarray(slot * 4, slot * 4 + 4);
    const known = first.some((w) => w !== 0) ? [hexText(first)] : [];
    for (const t of this.otherTraces.get(text) ?? []) if (!known.includes(t)) known.push(t);
    return known;
  }

  /** Only without a cap (a bounded generation is made twice the size it may hold). */
  private grow(): void {
    const keys = this.keys;
    const traces = this.traces;
    this.slots *= 2;
    this.keys = new Uint32Array(this.slots * 2);
    this.traces = new Uint32Array(this.slots * 4);
    this.mask = this.slots - 1;
    const id = new Uint32Array(2);
    for (let old = 0; old < keys.length / 2; old++) {
      id[0] = keys[old * 2];
      id[1] = keys[old * 2 + 1];
      if (id[0] === 0 && id[1] === 0) continue;
      const slot = ~this.slotOf(id);
      this.keys.set(id, slot * 2);
      this.traces.set(traces.subarray(old * 4, old * 4 + 4), slot * 4);
    }
  }
}

/**
 * Reads `words` 32-bit words of lowercase hex from `text` into `out`; false if a character is not [0-9a-f] or all
 * are zero (the invalid id, and what marks a free slot).
 */
function hexWords(text: string, words: number, out: Uint32Array): boolean {
  let any = 0;
  for (let w = 0; w < words; w++) {
    let word = 0;
    for (let i = w * 8; i < w * 8 + 8; i++) {
      const c = text.charCodeAt(i);
      const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
      if (digit < 0) return false;
      word = (word << 4) | digit;
    }
    out[w] = word;
    any |= word;
  }
  return any !== 0;
}

function hexText(words: Uint32Array): string {
  let text = '';
  for (const w of words) text += w.toString(16).padStart(8, '0');
  return text;
}

function callerKey(service: string, operation: string): string {
  return JSON.stringify([service, operation]);
}

function addTo(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (set) set.add(value);
  else map.set(key, new Set([value]));
}

function addToList(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (!list) map.set(key, [value]);
  else if (!list.includes(value)) list.push(value);
}
