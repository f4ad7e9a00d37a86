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
