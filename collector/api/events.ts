import type { ServerResponse } from 'node:http';
import type { CommitInfo } from '../store/types';
import type { WireEventMap, WireEventName } from '../../common/wire';

/** At most one `traces` push per this many milliseconds, however fast commits arrive. */
export const PUSH_INTERVAL_MS = 400;
/** Summaries per push; beyond this the client is told to re-run its query instead. */
export const MAX_PUSHED_TRACES = 200;
const KEEPALIVE_MS = 15_000;
/**
 * Events a client has not taken yet, beyond what the socket holds, above which it is dropped: one that never reads
 * would otherwise keep every event since in memory. The UI reconnects within seconds and gets the stats afresh.
 */
export const MAX_CLIENT_BUFFER_BYTES = 4 * 1024 * 1024;

export interface LiveSource {
  summaries(traceIds: string[]): WireEventMap['traces']['updated'];
  stats(): WireEventMap['stats'];
}

/**
 * Server-sent events for every open UI. Commits are coalesced: trace ids collect between pushes
 * and each push reads their summaries once, so a busy receiver costs one read per interval.
 */
export class EventHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly pendingTraces = new Set<string>();
  private readonly pendingNew = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly keepalive: NodeJS.Timeout;
  private readonly maxBufferBytes: number;

  constructor(
    private readonly source: LiveSource,
    options: { maxClientBufferBytes?: number } = {},
  ) {
    this.maxBufferBytes = options.maxClientBufferBytes ?? MAX_CLIENT_BUFFER_BYTES;
    this.keepalive = setInterval(() => {
      for (const res of this.clients) this.send(res, ': keepalive\n\n');
    }, KEEPALIVE_MS);
    this.keepalive.unref();
  }

  /** Clients connected. */
  get size(): number {
    return this.clients.size;
  }

  attach(res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
    this.send(res, eventText('stats', this.source.stats()));
  }

  onCommit(info: CommitInfo): void {
    if (this.clients.size === 0) return;
    for (const id of info.traceIds) this.pendingTraces.add(id);
    for (const id of info.newTraceIds) this.pendingNew.add(id);
    this.timer ??= setTimeout(() => this.push(), PUSH_INTERVAL_MS);
  }

  broadcast<E extends WireEventName>(event: E, data: WireEventMap[E]): void {
    if (this.clients.size === 0) return;
    const text = eventText(event, data);
    for (const res of this.clients) this.send(res, text);
  }

  close(): void {
    clearInterval(this.keepalive);
    clearTimeout(this.timer);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private push(): void {
    this.timer = undefined;
    const ids = [...this.pendingTraces];
    const newIds = [...this.pendingNew];
    this.pendingTraces.clear();
    this.pendingNew.clear();
    if (this.clients.size === 0) return;
    const truncated = ids.length > MAX_PUSHED_TRACES;
    const updated = this.source.summaries(ids.slice(0, MAX_PUSHED_TRACES));
    this.broadcast('traces', { updated, newTraceIds: newIds.slice(0, MAX_PUSHED_TRACES), truncated });
    this.broadcast('stats', this.source.stats());
  }

  /** Writes to one client, dropping it once what it has not read passes the bound. */
  private send(res: ServerResponse, text: string): void {
    if (res.destroyed) return;
    res.write(text);
    if (res.writableLength > this.maxBufferBytes) {
      this.clients.delete(res);
      res.destroy();
    }
  }
}

function eventText<E extends WireEventName>(event: E, data: WireEventMap[E]): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
