// Messages between the Electron main process and the collector utility process, declared once.

/** Messages the collector utility process sends to main. */
export type CollectorMessage =
  | { type: 'ready'; uiUrl: string; apiBaseUrl: string; apiToken: string; grpcPort: number; httpPort: number }
  | { type: 'failed'; message: string }
  /** Before `ready`, when opening takes a while (the database is being compacted): what to show meanwhile. */
  | { type: 'starting'; message: string }
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
