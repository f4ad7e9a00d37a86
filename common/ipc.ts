// The window's IPC, declared once: the channels main answers, and what the preload exposes to the renderer.

/** IPC channels the preload may use (main checks the sender before answering). */
export const Channel = {
  connection: 'hopscope:connection',
  openTraceFiles: 'hopscope:open-trace-files',
  importPaths: 'hopscope:import-paths',
  openExternal: 'hopscope:open-external',
} as const;

export interface ConnectionInfo {
  apiBaseUrl: string;
  apiToken: string;
}

/** What the preload exposes to the renderer as `window.hopscope`. A browser has none. */
export interface HopscopeBridge {
  apiBaseUrl: string;
  apiToken: string;
  /** Shows the native open dialog; the chosen files are imported by the collector. */
  openTraceFiles(): Promise<void>;
  /** Imports files dropped on the window by their paths (no upload needed in the desktop app). */
  importFiles(files: File[]): Promise<void>;
  openExternal(url: string): Promise<void>;
}
