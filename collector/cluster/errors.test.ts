import { describe, expect, it } from 'vitest';
import { AuthenticationError, ClusterError, describeFailure, describeKubeconfigError, HttpStatusError, redactSecrets, type FailureScope } from './errors';

const TOKEN = 'hopscope-0123456789abcdef0123456789abcdef';
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLWJ5dGVz';
const scope: FailureScope = { server: 'https://10.0.0.1:6443', user: 'alice', verb: 'list', resource: 'pods', apiVersion: 'v1', namespace: 'shop', secrets: [TOKEN] };

describe('redactSecrets', () => {
  it.each([
    [`Authorization: Bearer ${TOKEN}`, 'Authorization: Bearer [redacted]'],
    [`id-token=${JWT} and more`, 'id-token=[redacted] and more'],
    [`got ${JWT}`, 'got [redacted]'],
    ['token: "abc123def"', 'token: "[redacted]"'],
    ['password=hunter22; user=bob', 'password=[redacted]; user=bob'],
    ['aws said k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8 is bad', 'aws said [redacted] is bad'],
    ['gcloud access ya29.a0AfH6SMBx-secret expired', 'gcloud access [redacted] expired'],
    ['-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI\n-----END EC PRIVATE KEY-----', '[redacted]'],
    [`plugin echoed ${TOKEN} twice: ${TOKEN}`, 'plugin echoed [redacted] twice: [redacted]'],
  ])('%s', (text, redacted) => expect(redactSecrets(text, [TOKEN])).toBe(redacted));

  it('leaves ordinary messages alone', () => {
    const text = 'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "kube-system"';
    expect(redactSecrets(text, [TOKEN])).toBe(text);
    expect(redactSecrets('token-file /var/run/secrets/token cannot be read')).toBe('token-file /var/run/secrets/token cannot be read');
  });

  it('is the last word on every ClusterError message, for what looks like a credential', () => {
    expect(new ClusterError(`failed with Bearer ${TOKEN} for user "admin-token": Unauthorized`, 'server').message).toBe('failed with Bearer [redacted] for user "admin-token": Unauthorized');
  });
});

describe('describeFailure', () => {
  it('401 names the server and the user', () => {
    const err = describeFailure(new HttpStatusError(401, { message: 'Unauthorized', reason: 'Unauthorized', code: 401 }), scope);
    expect(err).toMatchObject({ failure: 'unauthorized', status: 401 });
    expect(err.message).toMatch(/^the cluster at https:\/\/10\.0\.0\.1:6443 refused the credentials of user "alice": Unauthorized/);
  });

  it('403 names the verb, resource and namespace from the RBAC Status message', () => {
    const status = { message: 'pods is forbidden: User "alice" cannot watch resource "pods" in API group "" in the namespace "kube-system"', code: 403 };
    expect(describeFailure(new HttpStatusError(403, status), scope).message).toBe('cannot watch pods in namespace kube-system (forbidden by RBAC)');
    const cluster = { message: 'nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope' };
    expect(describeFailure(new HttpStatusError(403, cluster), scope).message).toBe('cannot list nodes at the cluster scope (forbidden by RBAC)');
    // client-node's Watch drops the Status body of a refused watch: the request says what was refused.
    expect(describeFailure(Object.assign(new Error('Forbidden'), { statusCode: 403 }), { ...scope, verb: 'watch' }).message).toBe('cannot watch pods in namespace shop (forbidden by RBAC)');
    expect(describeFailure(new HttpStatusError(403, { message: `webhook denied token=${TOKEN}` }), scope).message).toBe('cannot list pods in namespace shop (forbidden: webhook denied token=[redacted])');
  });

  it('other statuses: not served, expired, server errors with their (redacted) message', () => {
    expect(describeFailure(new HttpStatusError(404, {}), { ...scope, resource: 'endpointslices', apiVersion: 'discovery.k8s.io/v1' })).toMatchObject({
      failure: 'not-served',
      message: 'the cluster at https://10.0.0.1:6443 does not serve endpointslices (discovery.k8s.io/v1)',
    });
    expect(describeFailure(new HttpStatusError(410, { message: 'too old resource version: 5 (9)' }), scope).failure).toBe('expired');
    expect(describeFailure(new HttpStatusError(503, { reason: 'ServiceUnavailable', message: `etcd down, saw ${TOKEN}` }), scope).message).toBe(
      'the cluster at https://10.0.0.1:6443 answered 503 ServiceUnavailable to list pods in namespace shop: etcd down, saw [redacted]',
    );
  });

  it('connection failures name the server and the cause, also when wrapped as undici wraps them', () => {
    const refused = new TypeError('fetch failed', { cause: new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:6443'), { code: 'ECONNREFUSED' })]) });
    expect(describeFailure(refused, scope)).toMatchObject({ failure: 'unreachable', message: 'cannot reach the cluster at https://10.0.0.1:6443: connection refused (ECONNREFUSED)' });
    const dns = new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND k8s.example'), { code: 'ENOTFOUND' }) });
    expect(describeFailure(dns, scope).message).toBe('cannot reach the cluster at https://10.0.0.1:6443: host name not found (DNS) (ENOTFOUND)');
    expect(describeFailure(new DOMException('The operation was aborted due to timeout', 'TimeoutError'), scope).message).toBe('the cluster at https://10.0.0.1:6443 did not answer in time to list pods in namespace shop');
    expect(describeFailure(new TypeError('terminated'), scope).message).toBe('the connection to the cluster at https://10.0.0.1:6443 was cut');
  });

  it('TLS failures say which: unknown authority, host name mismatch, expired', () => {
    const tls = (code: string, message = code) => new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code }) });
    expect(describeFailure(tls('SELF_SIGNED_CERT_IN_CHAIN'), scope)).toMatchObject({ failure: 'tls', message: expect.stringContaining('signed by an authority the kubeconfig does not trust') });
    const altname = tls('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames: Host: k8s.example. is not in the cert's list: localhost");
    expect(describeFailure(altname, scope).message).toContain("does not match the host name it was reached by: Hostname/IP does not match certificate's altnames");
    expect(describeFailure(tls('CERT_HAS_EXPIRED'), scope).message).toBe('the TLS certificate of the cluster at https://10.0.0.1:6443 has expired');
  });

  it('exec plugin failures: not found (with the PATH searched), failed (first stderr line, redacted), bad output', () => {
    const plugin = { command: 'gke-gcloud-auth-plugin', searchedPath: '/opt/homebrew/bin:/usr/bin', withLoginShellPath: true };
    const enoent = Object.assign(new Error('spawn gke-gcloud-auth-plugin ENOENT'), { code: 'ENOENT' });
    expect(describeFailure(new AuthenticationError(enoent), { ...scope, plugin })).toMatchObject({
      failure: 'credential-plugin',
      message: `the credential plugin "gke-gcloud-auth-plugin" of user "alice" was not found: searched this process's PATH and your login shell's: /opt/homebrew/bin:/usr/bin`,
    });
    const failed = new Error(`\nERROR: (gcloud.auth) refresh token ${TOKEN} has expired\nRun gcloud auth login\n`);
    expect(describeFailure(new AuthenticationError(failed), { ...scope, plugin }).message).toBe('the credential plugin "gke-gcloud-auth-plugin" of user "alice" failed: ERROR: (gcloud.auth) refresh token [redacted] has expired');
    expect(describeFailure(new AuthenticationError(new SyntaxError('Unexpected token')), { ...scope, plugin }).message).toBe('the credential plugin "gke-gcloud-auth-plugin" of user "alice" printed no ExecCredential JSON');
    expect(describeFailure(new AuthenticationError(Object.assign(new Error("ENOENT: no such file or directory, open '/home/a/token'"), { code: 'ENOENT' })), scope).message).toBe(
      `cannot use the credentials of user "alice": ENOENT: no such file or directory, open '/home/a/token'`,
    );
  });

  it('kubeconfig errors name the file and the line, never the content', () => {
    const yamlError = Object.assign(new Error(`unexpected end of the stream (5:19)\n\n 5 |     token: "${TOKEN}`), { name: 'YAMLException', reason: 'unexpected end of the stream within a double quoted scalar', mark: { line: 4, column: 18 } });
    const err = describeKubeconfigError('/home/a/.kube/config', yamlError);
    expect(err.message).toBe('kubeconfig /home/a/.kube/config: line 5, column 19: unexpected end of the stream within a double quoted scalar');
    expect(describeKubeconfigError('/k', new Error('clusters[0].cluster.server is missing')).message).toBe('kubeconfig /k: clusters[0].cluster.server is missing');
  });
});
