// Which clusters the user can reach, read as kubectl reads it: every file of KUBECONFIG merged (the first
// file to define a name wins, as does the first current-context), else ~/.kube/config, else the pod's
// service account when running inside a cluster.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Cluster, Context, KubeConfig, User } from '@kubernetes/client-node';
import { clientNode } from './client-node';
import type { WireKubeContext } from '../../common/wire';
import { ClusterError, describeKubeconfigError, secretsOf } from './errors';

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export interface LoadedKubeconfig {
  /** The files considered, in order (some may not exist); empty in-cluster. */
  files: string[];
  inCluster: boolean;
  /** The merged configuration, its current-context as the files say. */
  config: KubeConfig;
  /** Changes whenever the effective configuration does (a hash: it holds no credential). */
  fingerprint: string;
}

/** A context as the UI lists it: names and the server URL, never credentials. */
export type ContextSummary = WireKubeContext;

export interface KubeconfigSource {
  /** An explicit kubeconfig (`--kubeconfig`), instead of KUBECONFIG / ~/.kube/config. */
  kubeconfig?: string | string[];
  env?: NodeJS.ProcessEnv;
}

/** The files kubectl would read: KUBECONFIG's list (the platform's path separator), else ~/.kube/config. */
export function kubeconfigFiles(source: KubeconfigSource = {}): string[] {
  if (source.kubeconfig !== undefined) return [source.kubeconfig].flat().map((f) => path.resolve(f));
  const env = source.env ?? process.env;
  const list = env.KUBECONFIG?.split(path.delimiter).filter(Boolean) ?? [];
  if (list.length > 0) return [...new Set(list.map((f) => path.resolve(f)))];
  return [path.join(env.HOME || os.homedir(), '.kube', 'config')];
}

function runningInCluster(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST) && existsSync(SERVICE_ACCOUNT_TOKEN);
}

/** One file as client-node reads it (relative certificate paths resolved against the file's directory). */
function loadFile(file: string): KubeConfig {
  const text = readFileSync(file, 'utf8');
  // kubectl rewrites files in place: an empty file is far more often a write in progress than a meant config.
  if (!text.trim()) throw new ClusterError(`kubeconfig ${file}: the file is empty`, 'kubeconfig');
  const kc = new (clientNode().KubeConfig)();
  kc.loadFromString(text);
  const empty = kc.getClusters().length + kc.getContexts().length + kc.getUsers().length === 0 && !kc.getCurrentContext();
  if (empty && !/^(apiVersion|kind|clusters|contexts|users|preferences|current-context)\s*:/m.test(text)) {
    throw new ClusterError(`kubeconfig ${file}: not a kubeconfig (expected a YAML mapping with clusters, contexts and users)`, 'kubeconfig');
  }
  kc.makePathsAbsolute(path.dirname(file));
  return kc;
}

/**
 * Loads and merges the kubeconfig files. Missing files in KUBECONFIG are skipped as kubectl does; an explicit
 * `--kubeconfig` must exist. Throws a ClusterError naming the file and what is wrong.
 */
export function loadKubeconfig(source: KubeconfigSource = {}): LoadedKubeconfig {
  const env = source.env ?? process.env;
  const files = kubeconfigFiles(source);
  const present = source.kubeconfig !== undefined ? files : files.filter((f) => existsSync(f));
  if (present.length === 0) {
    if (runningInCluster(env)) {
      const config = new (clientNode().KubeConfig)();
      config.loadFromCluster();
      return { files: [], inCluster: true, config, fingerprint: fingerprintOf(config) };
    }
    throw new ClusterError(`no kubeconfig found (looked for ${files.join(path.delimiter)}) and not running inside a cluster`, 'kubeconfig');
  }
  const clusters = new Map<string, Cluster>();
  const users = new Map<string, User>();
  const contexts = new Map<string, Context>();
  let currentContext: string | undefined;
  const known: string[] = [];
  for (const file of present) {
    let kc: KubeConfig;
    try {
      kc = loadFile(file);
    } catch (err) {
      throw describeKubeconfigError(file, err, known);
    }
    known.push(...secretsOf(kc));
    // client-node's mergeConfig throws on a repeated name and lets the last current-context win; kubectl keeps the first.
    for (const c of kc.getClusters()) if (!clusters.has(c.name)) clusters.set(c.name, c);
    for (const u of kc.getUsers()) if (!users.has(u.name)) users.set(u.name, u);
    for (const c of kc.getContexts()) if (!contexts.has(c.name)) contexts.set(c.name, c);
    currentContext ||= kc.getCurrentContext() || undefined;
  }
  const config = new (clientNode().KubeConfig)();
  config.loadFromOptions({ clusters: [...clusters.values()], users: [...users.values()], contexts: [...contexts.values()], currentContext: currentContext ?? '' });
  return { files, inCluster: false, config, fingerprint: fingerprintOf(config) };
}

function fingerprintOf(config: KubeConfig): string {
  return createHash('sha256').update(config.exportConfig()).digest('hex');
}

export function listContexts(loaded: LoadedKubeconfig): ContextSummary[] {
  const kc = loaded.config;
  return kc.getContexts().map((c) => ({
    name: c.name,
    cluster: c.cluster,
    server: kc.getCluster(c.cluster)?.server ?? '',
    user: c.user,
    namespace: c.namespace,
    current: c.name === kc.getCurrentContext(),
  }));
}

/**
 * The context to use: the one asked for (`--context`), else a saved choice that still exists, else the
 * kubeconfig's current-context. Throws when none is usable.
 */
export function chooseContext(loaded: LoadedKubeconfig, choice: { context?: string; saved?: string } = {}): string {
  const names = loaded.config.getContexts().map((c) => c.name);
  const where = loaded.inCluster ? 'the in-cluster configuration' : loaded.files.join(path.delimiter);
  if (choice.context !== undefined) {
    if (!names.includes(choice.context)) {
      throw new ClusterError(`context "${choice.context}" is not in ${where}; its contexts are: ${names.join(', ') || 'none'}`, 'kubeconfig');
    }
    return choice.context;
  }
  if (choice.saved !== undefined && names.includes(choice.saved)) return choice.saved;
  const current = loaded.config.getCurrentContext();
  if (current && names.includes(current)) return current;
  throw new ClusterError(
    current ? `current-context "${current}" is not defined in ${where}; choose one of: ${names.join(', ') || 'none'}` : `${where} sets no current-context; choose one of: ${names.join(', ') || 'none'}`,
    'kubeconfig',
  );
}

export interface KubeconfigWatchOptions extends KubeconfigSource {
  /** Quiet time after the last file event before rereading; default 250 ms. */
  debounceMs?: number;
  /** The effective configuration changed. */
  onChange(loaded: LoadedKubeconfig): void;
  /** A reread failed; the last good configuration stays in use. */
  onError(err: ClusterError): void;
}

export interface KubeconfigWatch {
  /** The last configuration that loaded. */
  current(): LoadedKubeconfig;
  close(): void;
}

/**
 * Rereads the kubeconfig when its files change. kubectl (and cloud CLIs) rewrite the file in place, so a read
 * can see half a file: a failed read is reported and the last good configuration kept; the next write brings
 * the new one. Files are watched directly (in-place writes, symlinks) and through their directories (atomic
 * renames, files created later).
 */
export function watchKubeconfig(initial: LoadedKubeconfig, opts: KubeconfigWatchOptions): KubeconfigWatch {
  let good = initial;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const files = initial.inCluster ? [] : kubeconfigFiles(opts);
  const names = new Set(files.map((f) => path.basename(f)));
  const dirWatchers: FSWatcher[] = [];
  let fileWatchers: FSWatcher[] = [];

  const schedule = () => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(reload, opts.debounceMs ?? 250);
  };
  const safeWatch = (target: string, listener: (event: string, name: string | null) => void): FSWatcher | undefined => {
    try {
      const w = watch(target, { persistent: false }, listener);
      w.on('error', () => w.close());
      return w;
    } catch {
      return undefined;
    }
  };
  const watchFiles = () => {
    for (const w of fileWatchers) w.close();
    fileWatchers = files.filter((f) => existsSync(f)).flatMap((f) => safeWatch(f, schedule) ?? []);
  };
  const reload = () => {
    if (closed) return;
    watchFiles();
    let next: LoadedKubeconfig;
    try {
      next = loadKubeconfig(opts);
    } catch (err) {
      opts.onError(err instanceof ClusterError ? err : new ClusterError(`kubeconfig: ${String(err)}`, 'kubeconfig'));
      return;
    }
    if (next.fingerprint === good.fingerprint) return;
    good = next;
    opts.onChange(next);
  };

  for (const dir of new Set(files.map((f) => path.dirname(f)))) {
    const w = safeWatch(dir, (_event, name) => {
      if (name === null || names.has(path.basename(name))) schedule();
    });
    if (w) dirWatchers.push(w);
  }
  watchFiles();
  return {
    current: () => good,
    close: () => {
      closed = true;
      clearTimeout(timer);
      for (const w of [...dirWatchers, ...fileWatchers]) w.close();
    },
  };
}
