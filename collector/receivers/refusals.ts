// Requests the receivers did not store, told to the person running Hopscope: a line in serve's terminal when
// refusals start (and when a new kind of refusal joins them), one when they stop, totals at exit, and the counts
// the UI's status bar shows. Exporters drop a batch once their retries run out, and say so only in their own logs.
import type { WireIngestStats } from '../../common/wire';
import { BUSY_RETRY_AFTER_S, STORE_ERROR_RETRY_AFTER_S, WRITER_BEHIND_RETRY_AFTER_S, type IngestCounters, type Refusal, type RefusalKind } from './ingest';

/** Refusals have stopped once none came for this long. */
export const DEFAULT_REFUSAL_QUIET_MS = 5000;
/** While refusals go on, the UI hears of new counts at most this often. */
const CHANGE_INTERVAL_MS = 1000;

/** A run of refusals with no quiet gap longer than the quiet time. */
export interface RefusalSpell {
  startedAtMs: number;
  /** The last refusal in it. */
  endedAtMs: number;
  refused: number;
  failed: number;
  spans: number;
  logs: number;
  kinds: Set<RefusalKind>;
}

export type RefusalEvent =
  /** A refusal of a kind not yet seen in this spell (`first`: it starts the spell). */
  | { type: 'refusal'; refusal: Refusal; first: boolean }
  /** No refusal for the quiet time: the spell is over. */
  | { type: 'quiet'; spell: RefusalSpell }
  /** The counts changed (at most once a second, and at the start and end of a spell). */
  | { type: 'change' };

export interface RefusalWatchOptions {
  quietMs?: number;
  now?: () => number;
}

/** Follows the counters' refusals and tells when they start, change kind and stop. */
export class RefusalWatch {
  private spell: RefusalSpell | undefined;
  private quietTimer: NodeJS.Timeout | undefined;
  private changeTimer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(event: RefusalEvent) => void>();
  private readonly quietMs: number;
  private readonly now: () => number;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly counters: IngestCounters,
    options: RefusalWatchOptions = {},
  ) {
    this.quietMs = options.quietMs ?? DEFAULT_REFUSAL_QUIET_MS;
    this.now = options.now ?? Date.now;
    this.unsubscribe = counters.onRefusal((refusal) => this.onRefusal(refusal));
  }

  /** Requests are being refused now: the last less than the quiet time ago. */
  get refusing(): boolean {
    return this.spell !== undefined;
  }

  on(listener: (event: RefusalEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The counts as the API gives them. */
  stats(): WireIngestStats {
    const c = this.counters;
    const stats: WireIngestStats = {
      refusedRequests: c.refusedRequests,
      failedRequests: c.failedRequests,
      refusedSpans: c.refusedSpans,
      refusedLogs: c.refusedLogs,
      refusing: this.refusing,
    };
    if (c.last) stats.lastReason = c.last.message;
    return stats;
  }

  /** Ends a spell under way (telling of it), and stops following. */
  close(): void {
    this.unsubscribe();
    if (this.spell) this.endSpell();
    clearTimeout(this.changeTimer);
    this.changeTimer = undefined;
  }

  private onRefusal(refusal: Refusal): void {
    const now = this.now();
    const first = this.spell === undefined;
    const spell = (this.spell ??= { startedAtMs: now, endedAtMs: now, refused: 0, failed: 0, spans: 0, logs: 0, kinds: new Set() });
    spell.endedAtMs = now;
    if (refusal.retryable) spell.refused++;
    else spell.failed++;
    spell.spans += refusal.spans;
    spell.logs += refusal.logs;
    const newKind = !spell.kinds.has(refusal.kind);
    spell.kinds.add(refusal.kind);
    clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => this.endSpell(), this.quietMs);
    this.quietTimer.unref();
    if (newKind) this.emit({ type: 'refusal', refusal, first });
    if (first) this.emit({ type: 'change' });
    else this.changeTimer ??= setTimeout(() => this.changed(), CHANGE_INTERVAL_MS).unref();
  }

  private changed(): void {
    this.changeTimer = undefined;
    this.emit({ type: 'change' });
  }

  private endSpell(): void {
    clearTimeout(this.quietTimer);
    this.quietTimer = undefined;
    const spell = this.spell!;
    this.spell = undefined;
    this.emit({ type: 'quiet', spell });
    clearTimeout(this.changeTimer);
    this.changeTimer = undefined;
    this.emit({ type: 'change' });
  }

  private emit(event: RefusalEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (e) {
        console.error('receivers: refusal listener failed', e);
      }
    }
  }
}

const WHAT_EXPORTERS_DO = 'exporters retry a refused batch a few times within their export timeout (10 s by default), then drop it';

/** Why a kind of refusal happens and what the sender does about it, for the terminal. */
const KIND_TEXT: Record<RefusalKind, string> = {
  busy: `answering 503 with Retry-After: ${BUSY_RETRY_AFTER_S} because more data is arriving than Hopscope takes in at once; ${WHAT_EXPORTERS_DO}`,
  'writer-behind': `answering 503 with Retry-After: ${WRITER_BEHIND_RETRY_AFTER_S} because the database writer is behind; ${WHAT_EXPORTERS_DO}`,
  'store-error': `answering 503 with Retry-After: ${STORE_ERROR_RETRY_AFTER_S} because the database could not store them; ${WHAT_EXPORTERS_DO}`,
  invalid: 'answering 400: a request could not be decoded or holds what cannot be stored; exporters drop such batches at once',
  'too-large': 'answering 413: a request is over the body size limit (--max-body-mib); exporters drop such batches at once',
  unsupported: "answering 404/415: a request is not an OTLP export (wrong path, Content-Type or Content-Encoding); check the exporter's endpoint and protocol",
  internal: 'answering 500: a fault in Hopscope; exporters drop such batches at once',
};

/** The terminal line for an event, or undefined for one that prints nothing. */
export function refusalLine(event: RefusalEvent): string | undefined {
  switch (event.type) {
    case 'refusal':
      return `${event.first ? 'Refusing telemetry' : 'Also refusing telemetry'}: ${KIND_TEXT[event.refusal.kind]}. (${event.refusal.message})`;
    case 'quiet': {
      const s = event.spell;
      const seconds = Math.max(1, Math.round((s.endedAtMs - s.startedAtMs) / 1000));
      return `Stopped refusing telemetry: ${requestCounts(s.refused, s.failed)} over ${seconds} s${itemCounts(s.spans, s.logs)}.`;
    }
    case 'change':
      return undefined;
  }
}

/** The line for serve's exit, or undefined when nothing was refused. */
export function refusalTotalsLine(counters: IngestCounters): string | undefined {
  if (counters.refusedRequests + counters.failedRequests === 0) return undefined;
  return `Not stored this run: ${requestCounts(counters.refusedRequests, counters.failedRequests)}${itemCounts(counters.refusedSpans, counters.refusedLogs)}.`;
}

function requestCounts(refused: number, failed: number): string {
  const parts: string[] = [];
  if (refused > 0) parts.push(`${count(refused, 'refused request')} (503, retried by exporters)`);
  if (failed > 0) parts.push(`${count(failed, 'failed request')} (not retried)`);
  return parts.join(' and ');
}

function itemCounts(spans: number, logs: number): string {
  if (spans + logs === 0) return '';
  return `; ${count(spans, 'span')} and ${count(logs, 'log record')} in those that could be counted`;
}

function count(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}
