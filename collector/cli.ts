import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { InputError } from './errors';
import { ListenError } from './net';
import { defaultDbPath } from './paths';
import { startCollector } from './collector';
import { refusalLine, refusalTotalsLine } from './receivers/refusals';
import { compactingLine, compactionLine, compactStore, damagedDatabase, DEFAULT_COMPACT_LIMITS, openStore, type CompactLimits } from './store';
import type { Store } from './store/types';
import { importFile } from './importers';
import { exportOtlpJson } from './exporters';
import { coverageNotes, emptyCoverage } from './analysis/cluster-coverage';
import { ClusterHistory } from './analysis/cluster-links';
import { analyzeStore, failOnMatches, linkReportToCluster, readClusterOnce, renderAnalysisText, type ClusterFlags, type Severity } from './analyze';
import { ImportProgress } from './progress';
import { analyzeBacklog, reportBacklog } from './live-analysis';
import { paceText } from '../common/text';
import { formatAgeLimit, formatSize, parseAge, parseSize, type RetentionLimits } from '../common/retention';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const USAGE = `Usage:
  hopscope --version
  hopscope serve   [--db FILE] [--host 127.0.0.1] [--otlp-grpc 4317] [--otlp-http 4318] [--ui 4320]
                   [--max-body-mib 20] [--cors-origin ORIGIN]... [--settle 10] [--open] [--no-analysis]
                   [--max-db-size 1GiB] [--max-age 7d]
                   [--cluster [--kubeconfig FILE] [--context NAME] [--namespace NS]...]
  hopscope import  FILE... [--db FILE] [--max-db-size 1GiB] [--max-age 7d] [--no-analysis]
  hopscope analyze [FILE...] [--db FILE] [--format text|json] [--fail-on error|warning]
                   [--cluster [--kubeconfig FILE] [--context NAME] [--namespace NS]...]
  hopscope export  --trace ID... | --all  [--db FILE] --out FILE

Files may be OTLP JSON, OTLP JSON lines, OTLP protobuf, Jaeger or Zipkin JSON (detected from content).
The database defaults to ${defaultDbPath()}. Retention keeps at most --max-db-size of data (B, KB, MB, GB,
KiB, MiB, GiB) and what arrived within --max-age (s, m, h, d); the oldest traces go first. import analyzes
what it imported (--no-analysis leaves that to serve).`;

/** Bad flags or arguments: exit code 2 with a one-line message. */
class UsageError extends Error {}

const EXIT_OK = 0;
const EXIT_FINDINGS = 1;
const EXIT_BAD_INPUT = 2;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-V') {
    process.stdout.write(`hopscope ${version()}\n`);
    return EXIT_OK;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT_OK;
  }
  try {
    switch (command) {
      case 'serve':
        return await serve(rest);
      case 'import':
        return await importCommand(rest);
      case 'analyze':
        return await analyze(rest);
      case 'export':
        return await exportCommand(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? EXIT_BAD_INPUT : EXIT_OK;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`hopscope: ${err.message}\n\n${USAGE}\n`);
      return EXIT_BAD_INPUT;
    }
    if (err instanceof InputError || err instanceof ListenError) {
      process.stderr.write(`hopscope: ${err.message}\n`);
      return EXIT_BAD_INPUT;
    }
    // Damage that the check at open could not see (a database too large to read through) shows when a page is read.
    if (openedDb !== undefined && isDamage(err)) {
      process.stderr.write(`hopscope: ${damagedDatabase(openedDb, (err as Error).message).message}\n`);
      return EXIT_BAD_INPUT;
    }
    throw err;
  }
}

/** The database this run opened, for messages about it. */
let openedDb: string | undefined;

function openDb(dbPath: string, options: { writerThread?: boolean; maxBytes?: number; maxAgeMs?: number; compactAtOpen?: CompactLimits } = {}): Store {
  openedDb = dbPath;
  return openStore({ path: dbPath, ...options });
}

/** SQLite's word for a damaged file, from this thread or (as a message only) from the writer thread. */
function isDamage(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || /database disk image is malformed|file is not a database/.test(e.message)) return true;
  }
  return false;
}

const CLUSTER_FLAGS = {
  cluster: { type: 'boolean', default: false },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string', multiple: true },
} as const;

/** `--cluster` and the flags that go with it; undefined without it. */
function clusterFlags(values: { cluster?: boolean; kubeconfig?: string; context?: string; namespace?: string[] }): ClusterFlags | undefined {
  const flags: ClusterFlags = { kubeconfig: values.kubeconfig, context: values.context, namespaces: values.namespace };
  if (values.cluster) return flags;
  if (Object.values(flags).some((v) => v !== undefined)) throw new UsageError('--kubeconfig, --context and --namespace go with --cluster');
  return undefined;
}

function version(): string {
  return (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

function parse<T extends ParseArgsConfig['options']>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

const RETENTION_FLAGS = {
  'max-db-size': { type: 'string' },
  'max-age': { type: 'string' },
} as const;

/** --max-db-size and --max-age, as the store's retention options (undefined: its defaults). */
function retentionFlags(values: { 'max-db-size'?: string; 'max-age'?: string }): Partial<RetentionLimits> {
  const out: Partial<RetentionLimits> = {};
  const flag = (name: string, parsed: { value: number } | { error: string }) => {
    if ('error' in parsed) throw new UsageError(`${name} ${parsed.error}`);
    return parsed.value;
  };
  if (values['max-db-size'] !== undefined) out.maxBytes = flag('--max-db-size', parseSize(values['max-db-size']));
  if (values['max-age'] !== undefined) out.maxAgeMs = flag('--max-age', parseAge(values['max-age']));
  return out;
}

function portFlag(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag} wants a port number from 0 to 65535, got ${JSON.stringify(value)}`);
  return n;
}

async function serve(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    db: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    'otlp-grpc': { type: 'string' },
    'otlp-http': { type: 'string' },
    ui: { type: 'string' },
    'max-body-mib': { type: 'string' },
    'cors-origin': { type: 'string', multiple: true },
    settle: { type: 'string' },
    'no-analysis': { type: 'boolean', default: false },
    open: { type: 'boolean', default: false },
    ...CLUSTER_FLAGS,
    ...RETENTION_FLAGS,
  });
  const cluster = clusterFlags(values);
  const retention = retentionFlags(values);
  if (positionals.length) throw new UsageError(`serve takes no files (got ${positionals.join(' ')}); use hopscope import`);
  const maxBodyMib = values['max-body-mib'] === undefined ? 20 : Number(values['max-body-mib']);
  if (!(maxBodyMib > 0)) throw new UsageError(`--max-body-mib wants a positive number, got ${values['max-body-mib']}`);
  const settleSeconds = values.settle === undefined ? 10 : Number(values.settle);
  if (!(settleSeconds >= 0)) throw new UsageError(`--settle wants seconds (a number ≥ 0), got ${values.settle}`);
  const dbPath = values.db ?? defaultDbPath();
  const rendererDir = path.join(repoRoot, 'dist', 'renderer');
  await ensureRendererBuilt(repoRoot, process.stderr, { build: process.stderr.isTTY === true });
  // Listen for signals before anything starts, so a stop during start-up still closes cleanly.
  const stopRequested = stopSignals(process, process.stderr, (code) => process.exit(code));
  quietGrpcBindFailure();
  openedDb = dbPath;
  const collector = await startCollector({
    dbPath,
    host: values.host,
    grpcPort: portFlag(values['otlp-grpc'], 4317, '--otlp-grpc'),
    httpPort: portFlag(values['otlp-http'], 4318, '--otlp-http'),
    maxBodyBytes: Math.floor(maxBodyMib * 1024 * 1024),
    corsOrigins: values['cors-origin'],
    settleMs: settleSeconds * 1000,
    analysis: !values['no-analysis'],
    retention,
    ui: { port: portFlag(values.ui, 4320, '--ui'), rendererDir },
    cluster: cluster && { ...cluster, settingsDir: path.dirname(dbPath) },
    onCompacting: sayCompacting,
  });
  const out = process.stdout;
  if (collector.store.compacted) out.write(`${compactionLine(collector.store.compacted)}\n`);
  out.write(`Hopscope is receiving OpenTelemetry data. Database: ${dbPath}\n`);
  out.write(`OTLP/gRPC: ${collector.grpc.address.replace('grpc://', '')}\n`);
  out.write(`OTLP/HTTP: ${collector.http.address}\n`);
  out.write(`UI: ${collector.ui!.url}\n`);
  const watched = collector.cluster?.status();
  if (watched) out.write(watched.error ? `Cluster: not watched: ${watched.error}\n` : `Cluster: watching context ${watched.context} (${watched.server})\n`);
  out.write(`Point a Go service here: OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:${collector.http.port} OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf\n`);

  if (values.open) openInBrowser(collector.ui!.url);
  // Exporters drop what is refused once their retries run out, and say so only in their own logs: say it here.
  collector.refusals.on((event) => {
    const line = refusalLine(event);
    if (line) process.stderr.write(`${line}\n`);
  });
  // A store opened with many traces not yet analyzed (an import), or a burst: say how far behind analysis is.
  const stopBacklog = values['no-analysis'] ? undefined : reportBacklog(() => collector.analysis.progress(), (line) => process.stderr.write(`${line}\n`));

  const signal = await stopRequested;
  process.stderr.write(`\n${signal}: flushing and stopping…\n`);
  stopBacklog?.();
  await collector.close();
  const c = collector.counters;
  process.stderr.write(`Stored ${c.spans} spans and ${c.logs} log records from ${c.requests} requests this run.\n`);
  const refused = refusalTotalsLine(c);
  if (refused) process.stderr.write(`${refused}\n`);
  return EXIT_OK;
}

/**
 * Resolves with the first SIGINT or SIGTERM. Shutdown then runs to its end: a second signal (a terminal sends
 * Ctrl-C to every process of its foreground group, and a launcher may forward it too) only says it is still
 * going; a third stops the process at once, with exit code 130.
 */
export function stopSignals(target: EventEmitter, err: Writable, exit: (code: number) => void): Promise<string> {
  return new Promise((resolve) => {
    let received = 0;
    const onSignal = (signal: string) => {
      received++;
      if (received === 1) resolve(signal);
      else if (received === 2) err.write(`${signal}: still shutting down… (once more to stop at once, losing what is not yet stored)\n`);
      else {
        err.write(`${signal}: stopping at once.\n`);
        exit(130);
      }
    };
    target.on('SIGINT', onSignal);
    target.on('SIGTERM', onSignal);
  });
}

/**
 * grpc-js logs "No address added out of total 1 resolved" before its bind error reaches the receiver, which
 * turns that error into a message naming the port and the flag (ListenError): the log line only precedes it
 * as noise. Everything else grpc-js logs still goes to stderr as its own logger would write it.
 */
function quietGrpcBindFailure(): void {
  const write =
    (prefix: string) =>
    (message?: unknown, ...rest: unknown[]) => {
      if (typeof message === 'string' && message.startsWith('No address added out of total')) return;
      console.error(`${prefix} ${String(message)}`, ...rest);
    };
  grpc.setLogger({ error: write('E'), info: write('I'), debug: write('D') });
}

/**
 * A checkout after `npm ci` has no built UI (dist/renderer). With `build` (serve at a terminal) and Vite
 * installed (a devDependency), it is built now, saying so; otherwise a line says how to build it.
 */
export async function ensureRendererBuilt(root: string, err: Writable, options: { build: boolean }): Promise<void> {
  if (existsSync(path.join(root, 'dist', 'renderer', 'index.html'))) return;
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const config = path.join(root, 'renderer', 'vite.config.ts');
  const how = `run \`npm run build:renderer\` in ${root}, then reload the page`;
  if (!options.build || !existsSync(vite) || !existsSync(config)) {
    err.write(`The UI is not built, so its page will say so: ${how}.\n`);
    return;
  }
  err.write('The UI is not built yet: building it now (npm run build:renderer)…\n');
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, [vite, 'build', '--config', config, '--logLevel', 'warn'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c.toString()));
    child.stderr.on('data', (c: Buffer) => (text += c.toString()));
    child.on('error', (e) => resolve({ code: null, output: e.message }));
    child.on('close', (c) => resolve({ code: c, output: text }));
  });
  if (code === 0 && existsSync(path.join(root, 'dist', 'renderer', 'index.html'))) {
    err.write('The UI is built.\n');
    return;
  }
  const tail = output.trim().split('\n').slice(-5).join('\n');
  err.write(`Building the UI failed${code === null ? '' : ` (exit code ${code})`}${tail ? `:\n${tail}\n` : '. '}To see why, ${how}.\n`);
}

function openInBrowser(url: string): void {
  const [cmd, ...args] = process.platform === 'darwin' ? ['open', url] : process.platform === 'win32' ? ['cmd', '/c', 'start', '', url] : ['xdg-open', url];
  const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
  child.on('error', () => process.stderr.write(`Could not open a browser; open the UI address above yourself.\n`));
  child.unref();
}

async function importCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { db: { type: 'string' }, 'no-analysis': { type: 'boolean' }, ...RETENTION_FLAGS });
  if (!positionals.length) throw new UsageError('import needs at least one FILE');
  const retention = retentionFlags(values);
  const dbPath = values.db ?? defaultDbPath();
  const store = openDb(dbPath, { writerThread: true, ...retention, compactAtOpen: { ...DEFAULT_COMPACT_LIMITS, onStart: sayCompacting } });
  if (store.compacted) process.stdout.write(`${compactionLine(store.compacted)}\n`);
  let trimmed: boolean;
  try {
    const totals = await importAll(store, positionals);
    if (totals.aborted) return 130;
    process.stdout.write(`Imported ${totals.spans} spans and ${totals.logs} log records from ${positionals.length} file(s) into ${dbPath}\n`);
    const kept = await store.retention(true);
    const { removed } = kept;
    trimmed = removed.traces + removed.logs > 0;
    if (trimmed) {
      process.stdout.write(
        `Retention removed ${removed.spans} spans in ${removed.traces} traces and ${removed.logs} log records, oldest first, to keep ` +
          `${formatSize(kept.maxBytes)} of data and what arrived within ${formatAgeLimit(kept.maxAgeMs)}; keep more with --max-db-size or --max-age\n`,
      );
    }
    // Searches are complete without it, but slower over what is not indexed: leave the store ready to search.
    const indexing = performance.now();
    await store.catchUpSearch();
    process.stdout.write(`Indexed for search in ${((performance.now() - indexing) / 1000).toFixed(1)} s\n`);
    if (!values['no-analysis']) await analyzeImported(store, dbPath);
  } finally {
    await store.close();
  }
  // what retention freed goes back to the disk now rather than at the next open
  const compacted = trimmed ? compactStore(dbPath, { ...DEFAULT_COMPACT_LIMITS, onStart: sayCompacting }) : undefined;
  if (compacted) process.stdout.write(`${compactionLine(compacted)}\n`);
  return EXIT_OK;
}

/** Said on stderr before the database is compacted (which holds up what follows). */
function sayCompacting(freeBytes: number, fileBytes: number): void {
  process.stderr.write(`${compactingLine(freeBytes, fileBytes)}\n`);
}

/**
 * Analyzes what an import left waiting, so that serve opens the store with its findings complete; a line on
 * stderr every few seconds while it runs. What is not analyzed (Ctrl-C) waits in the store for serve.
 */
async function analyzeImported(store: Store, dbPath: string): Promise<void> {
  const started = performance.now();
  const total = store.reader.analysisDue(0);
  let shown = started;
  const traces = await analyzeBacklog(store, (done) => {
    const now = performance.now();
    if (now - shown < 5000) return;
    shown = now;
    const rate = done / ((now - started) / 1000);
    process.stderr.write(`Analyzing: ${done} of ${total} traces${paceText(total - done, rate)}\n`);
  });
  const findings = store.reader.findings().reduce((n, f) => n + f.count, 0);
  process.stdout.write(
    `Analyzed ${traces} traces in ${((performance.now() - started) / 1000).toFixed(1)} s: ${findings} occurrences of possible defects` +
      `${findings > 0 ? ` (hopscope analyze --db ${dbPath} lists them)` : ''}\n`,
  );
}

/** Runs `work` with an AbortSignal that Ctrl-C trips, so long work stops between batches and stays consistent. */
async function withSigintAbort<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  let received = 0;
  // As serve does: a second Ctrl-C says the stop is under way, a third stops at once.
  const onSigint = () => {
    if (++received === 1) abort.abort();
    else if (received === 2) process.stderr.write('SIGINT: still stopping…\n');
    else process.exit(130);
  };
  process.on('SIGINT', onSigint);
  try {
    return await work(abort.signal);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function importAll(store: Store, files: string[]): Promise<{ spans: number; logs: number; aborted: boolean }> {
  return withSigintAbort(async (signal) => {
    let spans = 0;
    let logs = 0;
    for (const file of files) {
      const progress = new ImportProgress(process.stderr, file);
      // What the last report counted as stored: all an interruption leaves behind of this file.
      let stored = { spans: 0, logs: 0 };
      try {
        const result = await importFile(file, (batch) => store.write(batch), {
          signal,
          onProgress: (p) => {
            stored = p;
            progress.update(p);
          },
        });
        progress.done(result);
        spans += result.spans;
        logs += result.logs;
      } catch (err) {
        progress.clear();
        if (signal.aborted) {
          const kept = stored.spans + stored.logs === 0 ? 'nothing from it was stored' : `the ${stored.spans} spans and ${stored.logs} log records from it stored before are kept`;
          process.stderr.write(`Interrupted while importing ${file}; ${kept}.\n`);
          return { spans, logs, aborted: true };
        }
        if (err instanceof InputError) throw err.message.includes(file) ? err : err.inFile(file);
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new InputError(`${file}: no such file`);
        if ((err as NodeJS.ErrnoException).code === 'EISDIR') throw new InputError(`${file}: is a directory, not a trace file`);
        throw err;
      }
    }
    return { spans, logs, aborted: false };
  });
}

async function exportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    trace: { type: 'string', multiple: true },
    all: { type: 'boolean', default: false },
    db: { type: 'string' },
    out: { type: 'string' },
  });
  if (positionals.length) throw new UsageError(`export takes no positional arguments (got ${positionals.join(' ')}); name traces with --trace`);
  if (!values.out) throw new UsageError('export needs --out FILE');
  if (values.all === Boolean(values.trace?.length)) throw new UsageError('export needs either --trace ID... or --all');
  const dbPath = values.db ?? defaultDbPath();
  if (!existsSync(dbPath)) throw new InputError(`${dbPath}: no such database; import or receive telemetry first, or pass --db`);
  const store = openDb(dbPath);
  const out = values.out;
  try {
    return await withSigintAbort(async (signal) => {
      try {
        const selection = values.all ? { all: true as const } : { traceIds: values.trace! };
        const counts = await exportOtlpJson(store.reader, selection, out, undefined, signal);
        process.stdout.write(`Exported ${counts.traces} traces (${counts.spans} spans, ${counts.logs} log records) to ${out}\n`);
        return EXIT_OK;
      } catch (err) {
        if (!signal.aborted) throw err;
        process.stderr.write(`Interrupted; ${out} was not written.\n`);
        return 130;
      }
    });
  } finally {
    await store.close();
  }
}

async function analyze(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    db: { type: 'string' },
    format: { type: 'string', default: 'text' },
    'fail-on': { type: 'string' },
    ...CLUSTER_FLAGS,
  });
  const format = values.format;
  const cluster = clusterFlags(values);
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format is text or json, got ${JSON.stringify(format)}`);
  const failOn = values['fail-on'];
  if (failOn !== undefined && failOn !== 'error' && failOn !== 'warning') throw new UsageError(`--fail-on is error or warning, got ${JSON.stringify(failOn)}`);
  if (!positionals.length && !values.db) throw new UsageError('analyze needs FILE... or --db FILE');

  const tempDir = values.db ? undefined : mkdtempSync(path.join(os.tmpdir(), 'hopscope-analyze-'));
  // A writer thread only when there are files to import; reading a database alone needs none.
  const store = openDb(values.db ?? path.join(tempDir!, 'analyze.db'), { writerThread: positionals.length > 0 });
  try {
    if (positionals.length) {
      const totals = await importAll(store, positionals);
      if (totals.aborted) return 130;
    }
    const section = cluster ? await readClusterOnce(store, cluster) : undefined;
    for (const u of section?.unreadable ?? []) process.stderr.write(`hopscope: cluster: ${u.reason}\n`);
    await store.flush();
    // Without a reachable cluster, what the store recorded of the last one seen (serve --cluster's history) still links.
    const recorded = section && (section.server || store.reader.clusters()[0]);
    const history = section ? new ClusterHistory(recorded ? store.reader.clusterHistory(recorded) : { objects: [], states: [] }) : undefined;
    const coverage = emptyCoverage();
    const analyzed = analyzeStore(store, history, coverage);
    if (section) {
      const notes = history!.size === 0 ? ['no cluster history is recorded: nothing could be judged against the cluster'] : coverageNotes(coverage);
      if (notes.length) section.notes = notes;
    }
    const report = section ? linkReportToCluster(analyzed, store, section, history!) : analyzed;
    process.stdout.write(format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderAnalysisText(report));
    return failOn && failOnMatches(report, failOn as Severity) ? EXIT_FINDINGS : EXIT_OK;
  } finally {
    await store.close();
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  }
}

const isEntryPoint = process.argv[1] && /hopscope(\.mjs)?$|cli\.ts$/.test(process.argv[1]);
if (isEntryPoint) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`hopscope: unexpected error: ${(err as Error).stack ?? err}\n`);
      process.exit(70);
    },
  );
}
