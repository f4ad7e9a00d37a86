// Failures talking to a cluster, as messages a user can act on: which server, which user, which verb on which
// resource, which certificate or plugin. Credentials never reach a message: text from outside (API Status
// messages, plugin stderr, parser reasons) is redacted before it is quoted.
import type { KubeConfig } from '@kubernetes/client-node';

export type ClusterFailure =
  /** 401: the credentials were refused. */
  | 'unauthorized'
  /** 403: RBAC refused this verb on this resource in this namespace. */
  | 'forbidden'
  /** 404: the server does not serve this resource (an old API version). */
  | 'not-served'
  /** 410: the resourceVersion is older than the server's history; relist. */
  | 'expired'
  | 'unreachable'
  | 'tls'
  /** The exec credential plugin was not found, failed, or printed nonsense. */
  | 'credential-plugin'
  /** Other trouble using the user's credentials (unreadable token or key file). */
  | 'credentials'
  | 'kubeconfig'
  /** Any other answer of the API server (429, 5xx, …). */
  | 'server';

/** The one error type of this boundary: a safe message and what kind of failure it is. */
export class ClusterError extends Error {
  override name = 'ClusterError';
  constructor(
    message: string,
    readonly failure: ClusterFailure,
    readonly status?: number,
  ) {
    // Messages are composed from safe parts and quoted text that was redacted; this only catches what has a credential's shape.
    super(redactShapes(message));
  }
}

/** A non-2xx answer to a request, with the API server's Status when it sent one. */
export class HttpStatusError extends Error {
  override name = 'HttpStatusError';
  constructor(
    readonly status: number,
    readonly statusBody?: { message?: string; reason?: string; code?: number },
  ) {
    super(`HTTP ${status}${statusBody?.reason ? ` ${statusBody.reason}` : ''}`);
  }
}

/** Credentials could not be put on a request: the exec plugin failed, or a token/key file is unreadable. */
export class AuthenticationError extends Error {
  override name = 'AuthenticationError';
  constructor(cause: unknown) {
    super('authentication failed', { cause });
  }
}

/** What a failed request was about, to name it in the message. */
export interface FailureScope {
  server: string;
  /** The kubeconfig users[] entry name. */
  user: string;
  verb?: 'get' | 'list' | 'watch';
  /** Plural resource name, e.g. `pods`. */
  resource?: string;
  /** e.g. `apps/v1`. */
  apiVersion?: string;
  /** '' at the cluster scope. */
  namespace?: string;
  /** Set when the user authenticates with an exec credential plugin. */
  plugin?: { command: string; searchedPath: string; withLoginShellPath: boolean };
  /** The credentials of the kubeconfig, blanked out of any text quoted from outside. */
  secrets?: readonly string[];
}

const REDACTED = '[redacted]';

/** Credentials recognisable by their shape alone. */
const SECRET_SHAPES: Array<[RegExp, string]> = [
  [/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g, REDACTED],
  [/\b(Bearer|Basic)\s+(?!\[redacted\])[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${REDACTED}`],
  // JWTs (OIDC id tokens, service account tokens), EKS and Google access tokens.
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, REDACTED],
  [/\bk8s-aws-v1\.[A-Za-z0-9_-]+/g, REDACTED],
  [/\bya29\.[A-Za-z0-9_-]+/g, REDACTED],
];

/** Plus `key: value` pairs whose key names a credential (which would also hit our own `user "x-token": …`, hence only for quoted text). */
const SECRET_PATTERNS: Array<[RegExp, string]> = [
  ...SECRET_SHAPES,
  [
    /\b((?:access|id|refresh|bearer|auth)?[_-]?token|password|passwd|secret|client[_-]?secret|api[_-]?key|authorization|client-key-data)(["']?\s*[:=]\s*["']?)(?!\[redacted\]|Bearer\b|Basic\b)[^\s"',;}&]+/gi,
    `$1$2${REDACTED}`,
  ],
];

function redactShapes(text: string): string {
  for (const [pattern, replacement] of SECRET_SHAPES) text = text.replace(pattern, replacement);
  return text;
}

/** Blanks out credentials: known values (the kubeconfig's tokens, keys, passwords, exec env values) and anything shaped like one. */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length >= 4) out = out.split(secret).join(REDACTED);
  }
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Every credential value a kubeconfig holds, for redactSecrets. */
export function secretsOf(kc: KubeConfig): string[] {
  const out = new Set<string>();
  const add = (v: unknown) => {
    if (typeof v === 'string' && v.length > 0) out.add(v);
  };
  for (const u of kc.getUsers()) {
    add(u.token);
    add(u.password);
    add(u.keyData);
    const exec = u.exec as { env?: Array<{ value?: unknown }> | null } | undefined;
    for (const e of exec?.env ?? []) add(e.value);
    const provider = u.authProvider as { config?: Record<string, unknown> } | undefined;
    for (const [key, value] of Object.entries(provider?.config ?? {})) if (!/^(cmd-path|cmd-args|expiry|expiry-key|token-key|idp-issuer-url|client-id)$/.test(key)) add(value);
  }
  return [...out];
}

/** The first non-empty line of some text, trimmed. */
function firstLine(text: string): string {
  return (
    text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find(Boolean) ?? ''
  );
}

/** Error codes along an error's cause chain (undici wraps socket errors; happy eyeballs wraps them in AggregateError). */
function codesOf(err: unknown, depth = 0): string[] {
  if (!err || typeof err !== 'object' || depth > 6) return [];
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  const codes = typeof e.code === 'string' ? [e.code] : [];
  if (Array.isArray(e.errors)) for (const inner of e.errors) codes.push(...codesOf(inner, depth + 1));
  return [...codes, ...codesOf(e.cause, depth + 1)];
}

function messagesOf(err: unknown, depth = 0): string[] {
  if (!err || typeof err !== 'object' || depth > 6) return [];
  const e = err as { message?: unknown; cause?: unknown };
  return [...(typeof e.message === 'string' ? [e.message] : []), ...messagesOf(e.cause, depth + 1)];
}

const UNKNOWN_CA = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED']);
const CONNECT_FAILURES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host name not found (DNS)',
  EAI_AGAIN: 'host name lookup failed (DNS)',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  UND_ERR_SOCKET: 'connection closed by the other side',
  UND_ERR_HEADERS_TIMEOUT: 'no answer (headers timed out)',
  UND_ERR_BODY_TIMEOUT: 'no data (body timed out)',
};

function what(scope: FailureScope): string {
  const resource = scope.resource ?? 'resources';
  const where = scope.namespace ? `in namespace ${scope.namespace}` : 'at the cluster scope';
  return `${scope.verb ?? 'get'} ${resource} ${where}`;
}

/** Turns anything a request threw into a ClusterError that names the server, user, verb and resource. */
export function describeFailure(err: unknown, scope: FailureScope): ClusterError {
  if (err instanceof ClusterError) return err;
  const quote = (text: string) => redactSecrets(text, scope.secrets);
  if (err instanceof AuthenticationError) return describeAuthenticationFailure(err.cause, scope);

  const status = err instanceof HttpStatusError ? err.status : (err as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number') {
    const body = err instanceof HttpStatusError ? err.statusBody : undefined;
    const said = body?.message ? quote(body.message) : '';
    switch (status) {
      case 401:
        return new ClusterError(
          `the cluster at ${scope.server} refused the credentials of user "${scope.user}": ${said || 'Unauthorized'} (expired or revoked; renewing them did not help — log in again)`,
          'unauthorized',
          401,
        );
      case 403:
        return new ClusterError(forbiddenMessage(scope, body?.message), 'forbidden', 403);
      case 404:
        return new ClusterError(`the cluster at ${scope.server} does not serve ${scope.resource ?? 'this resource'}${scope.apiVersion ? ` (${scope.apiVersion})` : ''}`, 'not-served', 404);
      case 410:
        return new ClusterError(`the resourceVersion of ${scope.resource ?? 'the list'} expired (410 Gone)${said ? `: ${said}` : ''}`, 'expired', 410);
      default:
        return new ClusterError(`the cluster at ${scope.server} answered ${status}${body?.reason ? ` ${body.reason}` : ''} to ${what(scope)}${said ? `: ${said}` : ''}`, 'server', status);
    }
  }

  const codes = codesOf(err);
  const tls = describeTls(codes, err, scope);
  if (tls) return tls;
  const connect = codes.find((c) => c in CONNECT_FAILURES);
  if (connect) return new ClusterError(`cannot reach the cluster at ${scope.server}: ${CONNECT_FAILURES[connect]} (${connect})`, 'unreachable');
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError') return new ClusterError(`the cluster at ${scope.server} did not answer in time to ${what(scope)}`, 'unreachable');
  const message = err instanceof Error ? err.message : String(err);
  // undici reports a stream cut mid-body as a bare "terminated", and a failed connection as "fetch failed" with the reason as its cause.
  if (message === 'terminated') return new ClusterError(`the connection to the cluster at ${scope.server} was cut`, 'unreachable');
  if (message === 'fetch failed') {
    const reason = messagesOf(err).at(-1);
    return new ClusterError(`cannot reach the cluster at ${scope.server}${reason && reason !== message ? `: ${quote(reason)}` : ''}`, 'unreachable');
  }
  return new ClusterError(`${what(scope)} at ${scope.server} failed: ${quote(message)}`, 'server');
}

function forbiddenMessage(scope: FailureScope, statusMessage: string | undefined): string {
  // kube-apiserver's RBAC authorizer: `… cannot list resource "pods" in API group "" in the namespace "kube-system"`.
  const rbac = statusMessage && /cannot (\w+) resource "([^"]+)" in API group "[^"]*"(?: in the namespace "([^"]+)")?/.exec(statusMessage);
  if (rbac) {
    const [, verb, resource, namespace] = rbac;
    return `cannot ${verb} ${resource} ${namespace ? `in namespace ${namespace}` : 'at the cluster scope'} (forbidden by RBAC)`;
  }
  const said = statusMessage ? redactSecrets(statusMessage, scope.secrets) : '';
  return `cannot ${what(scope)} (forbidden${said ? `: ${said}` : ' by RBAC'})`;
}

function describeTls(codes: string[], err: unknown, scope: FailureScope): ClusterError | undefined {
  const cert = `the TLS certificate of the cluster at ${scope.server}`;
  if (codes.some((c) => UNKNOWN_CA.has(c))) {
    return new ClusterError(`${cert} is signed by an authority the kubeconfig does not trust (${codes.find((c) => UNKNOWN_CA.has(c))}); check the cluster's certificate-authority-data`, 'tls');
  }
  if (codes.includes('ERR_TLS_CERT_ALTNAME_INVALID')) {
    const detail = messagesOf(err).find((m) => m.includes('altnames')) ?? '';
    return new ClusterError(`${cert} does not match the host name it was reached by${detail ? `: ${redactSecrets(detail, scope.secrets)}` : ''}; check the server URL or tls-server-name`, 'tls');
  }
  if (codes.includes('CERT_HAS_EXPIRED')) return new ClusterError(`${cert} has expired`, 'tls');
  if (codes.includes('CERT_NOT_YET_VALID')) return new ClusterError(`${cert} is not valid yet (check this machine's clock)`, 'tls');
  const other = codes.find((c) => c.startsWith('ERR_TLS') || c.startsWith('ERR_SSL') || c.startsWith('ERR_OSSL') || c.startsWith('CERT_'));
  if (other) return new ClusterError(`the TLS connection to the cluster at ${scope.server} failed (${other})`, 'tls');
  return undefined;
}

function describeAuthenticationFailure(cause: unknown, scope: FailureScope): ClusterError {
  const quote = (text: string) => redactSecrets(text, scope.secrets);
  const code = (cause as { code?: unknown } | null)?.code;
  const message = cause instanceof Error ? cause.message : String(cause);
  const plugin = scope.plugin;
  if (!plugin) return new ClusterError(`cannot use the credentials of user "${scope.user}": ${quote(firstLine(message))}`, 'credentials');
  const named = `the credential plugin "${plugin.command}" of user "${scope.user}"`;
  if (code === 'ENOENT') {
    const searched = plugin.withLoginShellPath ? "this process's PATH and your login shell's" : "this process's PATH (the login shell's PATH could not be read)";
    return new ClusterError(`${named} was not found: searched ${searched}: ${plugin.searchedPath}`, 'credential-plugin');
  }
  if (code === 'EACCES') return new ClusterError(`${named} cannot be run (permission denied)`, 'credential-plugin');
  if (cause instanceof SyntaxError) return new ClusterError(`${named} printed no ExecCredential JSON`, 'credential-plugin');
  // client-node rejects with the plugin's whole stderr when it exits non-zero.
  const line = firstLine(message);
  return new ClusterError(`${named} failed: ${line ? quote(line) : 'it exited with an error and printed nothing'}`, 'credential-plugin');
}

/** A kubeconfig file that cannot be used: the file and what is wrong with it, never its content. */
export function describeKubeconfigError(file: string, err: unknown, secrets: readonly string[] = []): ClusterError {
  if (err instanceof ClusterError) return err;
  const e = err as { name?: unknown; code?: unknown; reason?: unknown; mark?: { line?: number; column?: number }; message?: unknown };
  if (e?.name === 'YAMLException') {
    // The YAMLException message quotes the lines around the error, which may hold a token: use its reason only.
    const at = e.mark && typeof e.mark.line === 'number' ? `line ${e.mark.line + 1}, column ${(e.mark.column ?? 0) + 1}: ` : '';
    return new ClusterError(`kubeconfig ${file}: ${at}${redactSecrets(String(e.reason ?? 'not valid YAML'), secrets)}`, 'kubeconfig');
  }
  if (e?.code === 'ENOENT') return new ClusterError(`kubeconfig ${file}: ${String(e.message).includes(file) ? 'does not exist' : redactSecrets(String(e.message), secrets)}`, 'kubeconfig');
  if (e?.code === 'EACCES') return new ClusterError(`kubeconfig ${file}: cannot be read (permission denied)`, 'kubeconfig');
  const message = err instanceof Error ? err.message : String(err);
  return new ClusterError(`kubeconfig ${file}: ${redactSecrets(firstLine(message), secrets)}`, 'kubeconfig');
}
