// Runs in an Electron utilityProcess: the whole collector (SQLite included) stays off the window's thread.
import path from 'node:path';
import { loadClusterChoice } from '../collector/cluster';
import { startCollector, type RunningCollector } from '../collector/collector';
import { compactingLine } from '../collector/store';
import type { CollectorCommand, CollectorLaunch, CollectorMessage } from './contract';

const parentPort = (process as unknown as { parentPort: { postMessage(m: CollectorMessage): void; on(e: 'message', l: (e: { data: CollectorCommand }) => void): void } }).parentPort;
const launch = JSON.parse(process.argv[2] ?? '{}') as CollectorLaunch;
const send = (m: CollectorMessage) => parentPort.postMessage(m);

async function run(): Promise<void> {
  let collector: RunningCollector;
  const settingsDir = path.dirname(launch.dbPath);
  try {
    collector = await startCollector({
      // The context chosen once (serve --cluster --context, or the app's cluster setting) is watched again; none is
      // connected to unasked.
      cluster: loadClusterChoice(settingsDir).context ? { settingsDir } : undefined,
      dbPath: launch.dbPath,
      host: '127.0.0.1',
      grpcPort: launch.grpcPort,
      httpPort: launch.httpPort,
      ui: { port: 0, rendererDir: launch.rendererDir },
      onCompacting: (free, file) => send({ type: 'starting', message: compactingLine(free, file) }),
    });
  } catch (err) {
    send({ type: 'failed', message: (err as Error).message });
    return;
  }
  const ui = collector.ui!;
  send({ type: 'ready', uiUrl: ui.url, apiBaseUrl: ui.origin, apiToken: collector.token, grpcPort: collector.grpc.port, httpPort: collector.http.port });

  parentPort.on('message', ({ data }) => {
    if (data.type === 'stop') void collector.close().finally(() => process.exit(0));
    if (data.type === 'import') void importPaths(collector, data.paths);
  });
}

/** Through the API server, so the window shows the same progress and errors as for an upload. */
async function importPaths(collector: RunningCollector, paths: string[]): Promise<void> {
  for (const file of paths) {
    try {
      const result = await collector.ui!.importPath(file);
      send({ type: 'import-done', file, spans: result.spans, logs: result.logs });
    } catch {
      // The window already shows the failure: importPath reports it like a failed upload.
    }
  }
}

void run();
