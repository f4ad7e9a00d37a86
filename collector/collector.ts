import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { DEFAULT_COMPACT_LIMITS, openStore } from './store';
import type { Store } from './store/types';
import { InflightBudget, IngestCounters, type IngestSink } from './receivers/ingest';
import { RefusalWatch } from './receivers/refusals';
import { startHttpReceiver, type RunningReceiver } from './receivers/http';
import { startGrpcReceiver } from './receivers/grpc';
import { startApiServer, type RunningApiServer } from './api/server';
import { importFile } from './importers';
import { hostPort } from './net';
import { startLiveAnalysis, type LiveAnalysis } from './live-analysis';
import { loadRetentionSetting, saveRetentionSetting } from './retention-setting';
import { startLiveCluster, type ClusterController, type LiveCluster, type LiveClusterOptions } from './live-cluster';

export interface CollectorOptions {
  dbPath: string;
  host: string;
  grpcPort: number;
  httpPort: number;
  maxBodyBytes?: number;
  /** The bound on request bytes being read, decoded or stored at once, over both receivers (default 8 MiB); beyond it, 503. */
  maxInflightBytes?: number;
  /** Refusals have stopped once none came for this long (default 5 s): serve then says how many there were. */
  refusalQuietMs?: number;
  corsOrigins?: string[];
  retention?: { maxBytes?: number; maxAgeMs?: number };
  /** Told when the store is compacted as it opens, before the rewrite (store/compact.ts), so a terminal can say so. */
  onCompacting?: (freeBytes: number, fileBytes: number) => void;
  /** How long a trace must be quiet before it is analyzed (default 10 s). */
  settleMs?: number;
  /** Length of the windows live cross-trace analysis runs over (default 10 s). */
  windowMs?: number;
  /** Off only to measure what analysis costs ingest (`--no-analysis`). */
  analysis?: boolean;
  /** The UI API and renderer; omitted, only the receivers run. */
  ui?: { port: number; rendererDir?: string };
  /**
   * Watch a Kubernetes cluster live and record its history (`--cluster`; with `connect: false`, only the kubeconfig
   * to connect with from the UI). Omitted, none is watched until the UI connects one, with the kubeconfig kubectl
   * would read and the choice remembered next to the database.
   */
  cluster?: LiveClusterOptions;
}

export interface RunningCollector {
  store: Store;
  sink: IngestSink;
  counters: IngestCounters;
  /** When the receivers start and stop refusing requests (serve's terminal lines, the UI's status bar). */
  refusals: RefusalWatch;
  grpc: RunningReceiver;
  http: RunningReceiver;
  ui?: RunningApiServer;
  analysis: LiveAnalysis;
  /** The watch `cluster` asked for at start, if it did (the same connection as `clusterController`). */
  cluster?: LiveCluster;
  /** Connects, switches and disconnects the live cluster at run time (the UI's Cluster view). */
  clusterController: ClusterController;
  /** Per-run secret the UI API requires. */
  token: string;
  /** Stops accepting, flushes what was acknowledged, closes the database. */
  close(): Promise<void>;
}

/** Everything `hopscope serve` runs, in one place so the CLI, the Electron shell and tests start it alike. */
export async function startCollector(options: CollectorOptions): Promise<RunningCollector> {
  const settingsDir = path.dirname(options.dbPath);
  // the limits set in the UI last time, unless serve's flags say otherwise
  const store = openStore({
    path: options.dbPath,
    ...loadRetentionSetting(settingsDir),
    ...options.retention,
    writerThread: true,
    compactAtOpen: { ...DEFAULT_COMPACT_LIMITS, onStart: options.onCompacting },
  });
  const counters = new IngestCounters();
  const refusals = new RefusalWatch(counters, { quietMs: options.refusalQuietMs });
  const budget = new InflightBudget(options.maxInflightBytes);
  const sink: IngestSink = { write: (rows) => store.writeEncoded(rows), overloaded: () => store.overloaded() };
  const started: { close(): Promise<void> }[] = [];
  try {
    const grpc = await startGrpcReceiver({ host: options.host, port: options.grpcPort, sink, counters, budget, maxMessageBytes: options.maxBodyBytes });
    started.push(grpc);
    const http = await startHttpReceiver({
      host: options.host,
      port: options.httpPort,
      sink,
      counters,
      budget,
      maxBodyBytes: options.maxBodyBytes,
      corsOrigins: options.corsOrigins,
    });
    started.push(http);
    const token = randomBytes(24).toString('base64url');
    const analysis = startLiveAnalysis(store, { settleMs: options.settleMs, windowMs: options.windowMs, paused: options.analysis === false });
    started.push({ close: () => analysis.stop() });
    const clusterController = await startLiveCluster(store, options.cluster ?? { settingsDir, connect: false });
    started.push({ close: () => clusterController.stop() });
    let ui: RunningApiServer | undefined;
    if (options.ui) {
      ui = await startApiServer({
        // The UI stays on loopback even when --host opens the receivers to a cluster.
        host: '127.0.0.1',
        port: options.ui.port,
        token,
        store,
        ingest: (batch) => store.write(batch),
        importFile: (file, onProgress) => importFile(file, (batch) => store.write(batch), { onProgress }),
        rendererDir: options.ui.rendererDir,
        analysis: {
          findings: () => ({ findings: store.reader.findings(), stitches: store.reader.stitches() }),
          onChange: (listener) => analysis.onChange(listener),
          progress: options.analysis === false ? undefined : () => analysis.progress(),
        },
        cluster: clusterController,
        setRetention: async (limits) => {
          const report = await store.setRetention(limits);
          saveRetentionSetting(settingsDir, limits);
          return report;
        },
        receivers: { otlpHttp: `http://${hostPort(displayHost(options.host), http.port)}`, otlpGrpc: hostPort(displayHost(options.host), grpc.port) },
        receiverStats: { stats: () => refusals.stats(), onChange: (listener) => refusals.on((e) => {
          if (e.type === 'change') listener();
        }) },
      });
      started.push(ui);
    }
    let closing: Promise<void> | undefined;
    return {
      store,
      sink,
      counters,
      refusals,
      grpc,
      http,
      ui,
      analysis,
      cluster: options.cluster && options.cluster.connect !== false ? clusterController : undefined,
      clusterController,
      token,
      close: () => (closing ??= (async () => {
        await Promise.all(started.map((r) => r.close()));
        // A spell of refusals under way is told of now, before the totals.
        refusals.close();
        await store.close();
      })()),
    };
  } catch (err) {
    await Promise.all(started.map((r) => r.close()));
    refusals.close();
    await store.close();
    throw err;
  }
}

/** Loopback binds are shown as localhost, which is what users type into exporter settings. */
function displayHost(host: string): string {
  return host === '127.0.0.1' || host === '::1' ? 'localhost' : host;
}
