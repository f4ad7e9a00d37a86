import { create } from 'zustand';
import type { WireEventMap, WireImportProgress, WireInfo, WireStats } from '../../../common/wire';
import { importedTraces, type ImportedTraces } from '../model/imports';
import { api } from '../api';
import type { LiveStatus } from '../api/client';

export interface ImportState extends WireImportProgress {
  /** Milliseconds since the epoch when it finished, for dismissing it later. */
  finishedAt?: number;
  /** The traces the live stream reported while it ran: where to look for what it brought. */
  traces?: ImportedTraces;
}

/** Traces pushed this long after an import finished are still its own: pushes are coalesced (collector/api/events). */
const LATE_PUSH_MS = 1500;

interface LiveState {
  status: LiveStatus;
  info?: WireInfo;
  stats?: WireStats;
  imports: Record<string, ImportState>;
  /** Bumped on each `findings` event so views that show findings can refetch. */
  findingsVersion: number;
  dismissImport(id: string): void;
}

/** App-lifetime state fed by the event stream: connection, counters, imports. */
export const useLive = create<LiveState>()((set) => ({
  status: 'connecting',
  imports: {},
  findingsVersion: 0,
  dismissImport: (id) =>
    set((s) => {
      const { [id]: _gone, ...rest } = s.imports;
      return { imports: rest };
    }),
}));

type TracesListener = (event: WireEventMap['traces']) => void;
const tracesListeners = new Set<TracesListener>();

/** Other stores hear about new and updated traces here. */
export function onLiveTraces(listener: TracesListener): () => void {
  tracesListeners.add(listener);
  return () => tracesListeners.delete(listener);
}

export function updateImport(progress: WireImportProgress): void {
  useLive.setState((s) => {
    const finished = progress.phase === 'done' || progress.phase === 'failed';
    const current = s.imports[progress.id];
    // A late progress event must not undo a finish the upload's own answer already recorded.
    if (current?.finishedAt && !finished) return s;
    return { imports: { ...s.imports, [progress.id]: { ...progress, traces: current?.traces, finishedAt: finished ? (current?.finishedAt ?? Date.now()) : undefined } } };
  });
}

/** Credits the traces of a live push to the imports running (or just finished) when it came. */
function noteImportedTraces(event: WireEventMap['traces']): void {
  const now = Date.now();
  const { imports } = useLive.getState();
  const running = Object.values(imports).filter((i) => i.phase === 'import' || (i.phase === 'done' && i.finishedAt !== undefined && now - i.finishedAt < LATE_PUSH_MS));
  if (running.length === 0 || event.updated.length === 0) return;
  useLive.setState((s) => {
    const next = { ...s.imports };
    for (const i of running) if (next[i.id]) next[i.id] = { ...next[i.id], traces: importedTraces(next[i.id].traces, event) };
    return { imports: next };
  });
}

/** Imports files the user picked or dropped: by path in the desktop app, by upload in a browser. */
export function importFiles(files: File[]): void {
  if (files.length === 0) return;
  if (window.hopscope) void window.hopscope.importFiles(files);
  else for (const file of files) void uploadFile(file);
}

/** "Open a file": the native dialog in the desktop app; in a browser the caller shows a file input. */
export function hasNativeOpen(): boolean {
  return window.hopscope !== undefined;
}

async function uploadFile(file: File): Promise<void> {
  const id = `imp-${Math.random().toString(36).slice(2, 10)}`;
  updateImport({ id, name: file.name, phase: 'upload', bytesRead: 0, totalBytes: file.size, spans: 0, logs: 0 });
  try {
    const result = await api.importFile(file, file.name, id);
    updateImport({ id, name: file.name, phase: 'done', bytesRead: file.size, totalBytes: file.size, spans: result.spans, logs: result.logs });
  } catch (err) {
    updateImport({ id, name: file.name, phase: 'failed', bytesRead: 0, totalBytes: file.size, spans: 0, logs: 0, error: (err as Error).message });
  }
}

/** Starts following the server; returns a stop function. */
export function startLive(): () => void {
  const abort = new AbortController();
  api.info().then((info) => useLive.setState({ info }), () => undefined);
  void api.followEvents(
    {
      stats: (stats) => useLive.setState({ stats }),
      traces: (event) => {
        noteImportedTraces(event);
        for (const l of tracesListeners) l(event);
      },
      findings: () => useLive.setState((s) => ({ findingsVersion: s.findingsVersion + 1 })),
      import: updateImport,
    },
    (status) => useLive.setState({ status }),
    abort.signal,
  );
  return () => abort.abort();
}
