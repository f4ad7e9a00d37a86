// The write side over a message port: the protocol, the end that serves it (in the writer thread, or on this
// thread when the write side is here) and the end that calls it (this thread's store, and the analysis workers).
// The calling end and the replies are not the writer's own: the analysis worker calls the window worker with them.
import type { MessagePort, Worker } from 'node:worker_threads';
import type { Observation, Stitch } from '../../common/findings';
import type { RetentionLimits } from '../../common/retention';
import type { ClusterChange } from './cluster';
import type { EncodedBatch } from './encode';
import type { CommitInfo, TraceAnalysis, WriteSide } from './types';


export type WriterCall =
  | { op: 'write'; batch: EncodedBatch }
  | { op: 'recordTraceAnalyses'; results: readonly TraceAnalysis[] }
  | { op: 'recordWindowAnalysis'; windowId: string; observations: readonly Observation[]; stitches: readonly Stitch[] }
  | { op: 'recordClusterChanges'; cluster: string; changes: readonly ClusterChange[] }
  | { op: 'flush' }
  | { op: 'catchUpSearch' }
  | { op: 'retention'; run: boolean }
  | { op: 'setRetention'; limits: RetentionLimits }
  | { op: 'close' };

/** A port is sent arrays of these: everything asked for in one turn of the caller's event loop. */
export type WriterRequest = WriterCall & { id: number };

export type WriterReply =
  | { kind: 'commit'; info: CommitInfo }
  | { kind: 'reply'; id: number; value: unknown }
  | { kind: 'error'; id: number; message: string };

/** Sent to the writer thread (not as an array): serve another port, e.g. the analysis worker's. */
export interface AttachPort {
  attach: MessagePort;
}

type Port = Pick<MessagePort, 'postMessage' | 'on'>;

/** Posts the reply to request `id` once `work` is done: its value, or its error's message. */
export function replyWhenDone(port: Pick<MessagePort, 'postMessage'>, id: number, work: Promise<unknown>): Promise<void> {
  return work.then(
    (value) => port.postMessage({ kind: 'reply', id, value } satisfies WriterReply),
    (err: unknown) => port.postMessage({ kind: 'error', id, message: err instanceof Error ? err.message : String(err) } satisfies WriterReply),
  );
}

/**
 * Answers the requests that arrive on `port` with `side`; with `commits`, also tells it of every commit. The
 * reply to `close` is the last message, and the port closes after it.
 */
export function serveWriter(port: Port & { close(): void }, side: WriteSide, { commits }: { commits: boolean }): void {
  const attached: MessagePort[] = [];
  const post = (reply: WriterReply) => port.postMessage(reply);
  if (commits) side.onCommit((info) => post({ kind: 'commit', info }));
  const answer = (id: number, work: Promise<unknown>) => replyWhenDone(port, id, work);
  const handle = (request: WriterRequest): unknown => {
    switch (request.op) {
      case 'write':
        return answer(request.id, side.write(request.batch));
      case 'recordTraceAnalyses':
        return answer(request.id, side.recordTraceAnalyses(request.results));
      case 'recordWindowAnalysis':
        return answer(request.id, side.recordWindowAnalysis(request.windowId, request.observations, request.stitches));
      case 'recordClusterChanges':
        return answer(request.id, side.recordClusterChanges(request.cluster, request.changes));
      case 'flush':
        return answer(request.id, side.flush());
      case 'catchUpSearch':
        return answer(request.id, side.catchUpSearch());
      case 'retention':
        return answer(request.id, side.retention(request.run));
      case 'setRetention':
        return answer(request.id, side.setRetention(request.limits));
      case 'close':
        return side.close().then(
          () => {
            post({ kind: 'reply', id: request.id, value: undefined });
            for (const other of attached) other.close();
            port.close();
          },
          (err: unknown) => post({ kind: 'error', id: request.id, message: (err as Error).message }),
        );
    }
  };
  // Writes that arrive in one message are queued in one turn, so they share a commit.
  port.on('message', (message: WriterRequest[] | AttachPort) => {
    if (Array.isArray(message)) for (const request of message) handle(request);
    else {
      const other = message.attach;
      attached.push(other);
      // closed from its end: an analysis worker that died (live analysis starts new ones with new ports)
      other.once('close', () => {
        const i = attached.indexOf(other);
        if (i >= 0) attached.splice(i, 1);
      });
      serveWriter(other, side, { commits: false });
    }
  });
}

export interface PortClient<C extends object> {
  /** Sends the call with what else is asked for in this turn; `items` count against the caller's backlog until answered. */
  call<T>(request: C, items?: number): Promise<T>;
  /** Spans + logs sent and not yet answered. */
  readonly pendingItems: number;
  /** Rejects everything unanswered, and every later call, with this error. */
  fail(err: Error): void;
  readonly failure: Error | undefined;
}

export type WriterClient = PortClient<WriterCall>;

/**
 * The calling end over `port` (requests of type C, sent as arrays of C & { id }); `busy(true)` when the first call
 * is waiting, `busy(false)` when none is.
 */
export function portClient<C extends object>(port: Port | Worker, busy: (waiting: boolean) => void = () => undefined, onCommit?: (info: CommitInfo) => void): PortClient<C> {
  const pending = new Map<number, { resolve(value: unknown): void; reject(err: Error): void; items: number }>();
  let nextId = 1;
  let pendingItems = 0;
  let failure: Error | undefined;
  const settle = (id: number, outcome: { value: unknown } | { error: Error }): void => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    pendingItems -= p.items;
    if (pending.size === 0) busy(false);
    if ('error' in outcome) p.reject(outcome.error);
    else p.resolve(outcome.value);
  };
  port.on('message', (reply: WriterReply) => {
    if (reply.kind === 'commit') onCommit?.(reply.info);
    else if (reply.kind === 'reply') settle(reply.id, { value: reply.value });
    else settle(reply.id, { error: new Error(reply.message) });
  });
  // What is asked for in one turn of this thread's event loop goes over in one message, so writes queued
  // together commit together (and one message costs less than many).
  let outbox: (C & { id: number })[] = [];
  let posting: NodeJS.Immediate | undefined;
  const post = (): void => {
    posting = undefined;
    port.postMessage(outbox);
    outbox = [];
  };
  return {
    call<T>(request: C, items = 0): Promise<T> {
      if (failure) return Promise.reject(failure);
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject, items });
        pendingItems += items;
        if (pending.size === 1) busy(true);
        outbox.push({ ...request, id });
        posting ??= setImmediate(post);
      });
    },
    get pendingItems() {
      return pendingItems;
    },
    fail(err) {
      failure ??= err;
      for (const id of [...pending.keys()]) settle(id, { error: failure });
    },
    get failure() {
      return failure;
    },
  };
}

/** The calling end of the writer's protocol. */
export const writerClient = portClient<WriterCall>;
