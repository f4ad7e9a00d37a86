// Every channel between the Electron main process, the preload and the collector process, declared once.

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

/** Messages the collector utility process sends to main. */
export type CollectorMessage =
  | { type: 'ready'; uiUrl: string; apiBaseUrl: string; apiToken: string; grpcPort: number; httpPort: number }
  | { type: 'failed'; message: string }
  | { type: 'import-done'; file: string; spans: number; logs: number };

/** Messages main sends to the collector utility process. */
export type CollectorCommand =
  | { type: 'import'; paths: string[] }
  | { type: 'stop' };

/** Arguments main passes when it forks the collector process. */
export interface CollectorLaunch {
  dbPath: string;
  rendererDir: string;
  grpcPort: number;
  httpPort: number;
}
