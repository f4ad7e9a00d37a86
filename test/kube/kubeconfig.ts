import { writeFileSync } from 'node:fs';
import path from 'node:path';

export interface ExecConfig {
  command: string;
  args: string[];
  env?: Array<{ name: string; value: string }>;
}

/** A kubeconfig `users[]` entry; `name` is the entry's name, not necessarily the authenticated user. */
export type KubeconfigUser =
  | { kind: 'token'; name: string; token: string }
  | { kind: 'clientCertificate'; name: string; certFile: string; keyFile: string }
  | { kind: 'exec'; name: string; exec: ExecConfig };

export interface KubeconfigContext {
  name: string;
  user: KubeconfigUser;
  namespace?: string;
}

export interface KubeconfigCluster {
  name: string;
  server: string;
  caPem?: string;
  insecureSkipTlsVerify?: boolean;
}

export interface KubeconfigOptions {
  file: string;
  cluster: KubeconfigCluster;
  contexts: KubeconfigContext[];
  /** Default: the first context; null writes no current-context. */
  currentContext?: string | null;
  /**
   * Splits the config in two files as KUBECONFIG merging expects: the first holds the cluster,
   * the first context and current-context; the second the other contexts and their users.
   */
  split?: boolean;
}

export interface WrittenKubeconfig {
  files: string[];
  /** The value for the KUBECONFIG environment variable. */
  env: string;
}

type Yaml = string | number | boolean | null | undefined | Yaml[] | { [key: string]: Yaml };

function scalar(value: Yaml): string | undefined {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.length === 0) return '[]';
  if (typeof value === 'object' && value && !Array.isArray(value) && Object.values(value).every((v) => v === undefined)) return '{}';
  return undefined;
}

/** Block-style YAML with JSON-quoted scalars (valid YAML 1.2, read by kubectl and js-yaml alike). */
export function toYaml(value: Yaml, indent = 0): string {
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  if (Array.isArray(value)) {
    for (const item of value) {
      const s = scalar(item);
      if (s !== undefined) lines.push(`${pad}- ${s}`);
      else lines.push(`${pad}- ${toYaml(item, indent + 2).slice(indent + 2)}`);
    }
  } else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined) continue;
      const k = /^[A-Za-z0-9_.-]+$/.test(key) ? key : JSON.stringify(key);
      const s = scalar(v);
      if (s !== undefined) lines.push(`${pad}${k}: ${s}`);
      else lines.push(`${pad}${k}:`, toYaml(v, Array.isArray(v) ? indent : indent + 2));
    }
  }
  return lines.join('\n');
}

function userEntry(user: KubeconfigUser): Yaml {
  switch (user.kind) {
    case 'token':
      return { name: user.name, user: { token: user.token } };
    case 'clientCertificate':
      return { name: user.name, user: { 'client-certificate': user.certFile, 'client-key': user.keyFile } };
    case 'exec':
      return {
        name: user.name,
        user: {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1',
            command: user.exec.command,
            args: user.exec.args,
            env: user.exec.env,
            interactiveMode: 'Never',
            provideClusterInfo: false,
          },
        },
      };
  }
}

function document(cluster: KubeconfigCluster | undefined, contexts: KubeconfigContext[], currentContext: string | undefined, clusterName: string): string {
  const users = [...new Map(contexts.map((c) => [c.user.name, c.user])).values()];
  const doc: Yaml = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: cluster
      ? [
          {
            name: cluster.name,
            cluster: {
              server: cluster.server,
              'certificate-authority-data': cluster.caPem ? Buffer.from(cluster.caPem).toString('base64') : undefined,
              'insecure-skip-tls-verify': cluster.insecureSkipTlsVerify || undefined,
            },
          },
        ]
      : [],
    users: users.map(userEntry),
    contexts: contexts.map((c) => ({ name: c.name, context: { cluster: clusterName, user: c.user.name, namespace: c.namespace } })),
    'current-context': currentContext,
  };
  return `${toYaml(doc)}\n`;
}

export function writeKubeconfig(o: KubeconfigOptions): WrittenKubeconfig {
  const current = o.currentContext === null ? undefined : (o.currentContext ?? o.contexts[0]?.name);
  if (!o.split) {
    writeFileSync(o.file, document(o.cluster, o.contexts, current, o.cluster.name), { mode: 0o600 });
    return { files: [o.file], env: o.file };
  }
  const second = path.join(path.dirname(o.file), `${path.basename(o.file, path.extname(o.file))}-2${path.extname(o.file)}`);
  writeFileSync(o.file, document(o.cluster, o.contexts.slice(0, 1), current, o.cluster.name), { mode: 0o600 });
  writeFileSync(second, document(undefined, o.contexts.slice(1), undefined, o.cluster.name), { mode: 0o600 });
  return { files: [o.file, second], env: [o.file, second].join(path.delimiter) };
}

export interface ExecPluginConfig {
  /** The fake API server's base URL; the plugin asks its test-only token endpoint. */
  server: string;
  caPem?: string;
  secret: string;
  user: string;
  groups: string[];
  ttlSeconds: number;
  /** One JSON line is appended per invocation. */
  logFile: string;
}

/**
 * Writes a credential plugin run as `node <script>`: it logs its invocation, fetches a fresh
 * token and prints a client.authentication.k8s.io/v1 ExecCredential with expirationTimestamp.
 */
export function writeExecPlugin(file: string, config: ExecPluginConfig): ExecConfig {
  const script = `import { appendFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

const config = ${JSON.stringify(config)};
appendFileSync(config.logFile, JSON.stringify({ at: new Date().toISOString(), pid: process.pid, execInfo: process.env.KUBERNETES_EXEC_INFO ?? null }) + '\\n');
const url = new URL('/_hopscope/tokens', config.server);
const body = JSON.stringify({ user: config.user, groups: config.groups, ttlSeconds: config.ttlSeconds });
const client = url.protocol === 'https:' ? https : http;
const req = client.request(url, { method: 'POST', ca: config.caPem, headers: { 'content-type': 'application/json', 'x-hopscope-test-secret': config.secret } }, (res) => {
  let data = '';
  res.setEncoding('utf8');
  res.on('data', (chunk) => (data += chunk));
  res.on('end', () => {
    if (res.statusCode !== 200) {
      process.stderr.write('token endpoint answered ' + res.statusCode + ': ' + data + '\\n');
      process.exit(1);
    }
    const { token, expirationTimestamp } = JSON.parse(data);
    process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token, expirationTimestamp } }));
  });
});
req.on('error', (err) => {
  process.stderr.write(String(err) + '\\n');
  process.exit(1);
});
req.end(body);
`;
  writeFileSync(file, script, { mode: 0o700 });
  return { command: process.execPath, args: [file] };
}
