import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FakeApiServer, pod, toYaml, type KubeconfigUser } from '../../test/kube/api-server';
import { ClusterAccess } from './access';
import { loadClusterChoice, saveClusterChoice } from './choice';
import { ClusterError } from './errors';
import { chooseContext, listContexts, loadKubeconfig, watchKubeconfig, type LoadedKubeconfig } from './kubeconfig';
import { execSearchPath, resolveLoginShellPath } from './shell-path';

let server: FakeApiServer;
const cleanups: Array<() => unknown> = [];

beforeAll(async () => {
  server = await FakeApiServer.start();
  server.allow('admin', { verbs: ['get', 'list', 'watch'], resources: ['*'] });
  server.allow('erin', { verbs: ['list', 'watch'], resources: ['pods'], namespaces: ['exec'] });
  server.create(pod({ name: 'exec-pod', namespace: 'exec' }));
});
afterAll(() => server?.close());
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hopscope-cluster-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function accessFor(user: KubeconfigUser, opts: ConstructorParameters<typeof ClusterAccess>[1] = {}): ClusterAccess {
  const { files } = server.writeKubeconfig({ contexts: [{ name: 'test', user }] });
  return new ClusterAccess(loadKubeconfig({ kubeconfig: files[0] }), opts);
}

async function failure(promise: Promise<unknown>, access: ClusterAccess): Promise<ClusterError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeDefined();
  return access.describe(err, 'list', { group: '', version: 'v1', resource: 'pods', namespaced: true }, 'exec');
}

type PodList = { items: Array<{ metadata: { name: string } }> };

describe('loading kubeconfigs as kubectl does', () => {
  it('merges every KUBECONFIG file and lists contexts without credentials', async () => {
    const admin = server.tokenUser('admin');
    const bob = server.certUser('admin', { entryName: 'bob-cert' });
    const { files, env } = server.writeKubeconfig({
      contexts: [
        { name: 'admin', user: admin },
        { name: 'bob', user: bob, namespace: 'exec' },
      ],
      split: true,
    });
    const loaded = loadKubeconfig({ env: { KUBECONFIG: env } });
    expect(loaded.files).toEqual(files);
    const contexts = listContexts(loaded);
    expect(contexts).toEqual([
      { name: 'admin', cluster: 'hopscope-fake', server: server.url, user: 'admin-token', namespace: undefined, current: true },
      { name: 'bob', cluster: 'hopscope-fake', server: server.url, user: 'bob-cert', namespace: 'exec', current: false },
    ]);
    expect(JSON.stringify(contexts)).not.toContain(admin.token);
    expect(JSON.stringify(contexts)).not.toContain('BEGIN');

    // The second file's context authenticates with a client certificate; the merged config reaches the server with it.
    const access = new ClusterAccess(loaded, { context: 'bob' });
    expect(access).toMatchObject({ context: 'bob', server: server.url, user: 'bob-cert', namespace: 'exec' });
    expect((await access.getJson<PodList>('/api/v1/namespaces/exec/pods')).items.map((p) => p.metadata.name)).toEqual(['exec-pod']);
  });

  it('lets the first file win a repeated name and its current-context, where client-node would throw', () => {
    const first = server.writeKubeconfig({ contexts: [{ name: 'one', user: server.tokenUser('admin') }] });
    const second = server.writeKubeconfig({ contexts: [{ name: 'two', user: server.tokenUser('admin', { entryName: 'other' }) }] });
    const env = [first.files[0], path.join(tempDir(), 'missing.yaml'), second.files[0]].join(path.delimiter);
    const loaded = loadKubeconfig({ env: { KUBECONFIG: env } });
    expect(listContexts(loaded).map((c) => [c.name, c.current])).toEqual([
      ['one', true],
      ['two', false],
    ]);
    expect(loaded.config.getClusters()).toHaveLength(1);
    const clientNode = new KubeConfig();
    expect(() => {
      clientNode.loadFromFile(first.files[0]);
      const other = new KubeConfig();
      other.loadFromFile(second.files[0]);
      clientNode.mergeConfig(other);
    }).toThrow('Duplicate cluster: hopscope-fake');
  });

  it('names the file and what is wrong, without quoting its content', () => {
    const dir = tempDir();
    const broken = path.join(dir, 'config');
    const token = server.tokenUser('admin').token;
    writeFileSync(broken, `apiVersion: v1\nkind: Config\nusers:\n- name: a\n  user:\n    token: "${token}\n`);
    const yamlError = (() => {
      try {
        loadKubeconfig({ kubeconfig: broken });
      } catch (err) {
        return err as ClusterError;
      }
    })();
    expect(yamlError).toMatchObject({ failure: 'kubeconfig', message: expect.stringMatching(new RegExp(`^kubeconfig ${broken}: line \\d+, column \\d+: [a-z ]+$`)) });
    expect(yamlError!.message).not.toContain(token.slice(9));
    writeFileSync(broken, `clusters:\n- name: x\n  cluster:\n    certificate-authority-data: abc\n`);
    expect(() => loadKubeconfig({ kubeconfig: broken })).toThrow(`kubeconfig ${broken}: clusters[0].cluster.server is missing`);
    writeFileSync(broken, '');
    expect(() => loadKubeconfig({ kubeconfig: broken })).toThrow(`kubeconfig ${broken}: the file is empty`);
    expect(() => loadKubeconfig({ kubeconfig: path.join(dir, 'nope') })).toThrow(`kubeconfig ${path.join(dir, 'nope')}: does not exist`);
    expect(() => loadKubeconfig({ env: { HOME: dir } })).toThrow(`no kubeconfig found (looked for ${path.join(dir, '.kube', 'config')}) and not running inside a cluster`);
  });

  it('chooses the asked context, else a saved one that still exists, else current-context', () => {
    const { files } = server.writeKubeconfig({
      contexts: [
        { name: 'a', user: server.tokenUser('admin') },
        { name: 'b', user: server.tokenUser('admin', { entryName: 'b-user' }) },
      ],
    });
    const loaded = loadKubeconfig({ kubeconfig: files[0] });
    expect(chooseContext(loaded)).toBe('a');
    expect(chooseContext(loaded, { saved: 'b' })).toBe('b');
    expect(chooseContext(loaded, { saved: 'gone' })).toBe('a');
    expect(chooseContext(loaded, { context: 'b', saved: 'a' })).toBe('b');
    expect(() => chooseContext(loaded, { context: 'prod' })).toThrow(`context "prod" is not in ${files[0]}; its contexts are: a, b`);
  });

  it('saves the choice of context and namespaces and reads it back', () => {
    const dir = path.join(tempDir(), 'data');
    expect(loadClusterChoice(dir)).toEqual({});
    saveClusterChoice(dir, { context: 'prod', namespaces: ['shop', 'payments', 'shop'] });
    expect(loadClusterChoice(dir)).toEqual({ context: 'prod', namespaces: ['shop', 'payments'] });
    saveClusterChoice(dir, { context: 'dev' });
    expect(loadClusterChoice(dir)).toEqual({ context: 'dev' });
    writeFileSync(path.join(dir, 'cluster.json'), '{"context": ');
    expect(loadClusterChoice(dir)).toEqual({});
  });
});

describe('watching the kubeconfig', () => {
  it('keeps the last good config through a half-written file, then picks up the new one', async () => {
    const file = path.join(tempDir(), 'config');
    const admin = server.tokenUser('admin');
    server.writeKubeconfig({ file, contexts: [{ name: 'one', user: admin }] });
    const initial = loadKubeconfig({ kubeconfig: file });
    const changes: LoadedKubeconfig[] = [];
    const errors: ClusterError[] = [];
    const watch = watchKubeconfig(initial, { kubeconfig: file, debounceMs: 50, onChange: (l) => changes.push(l), onError: (e) => errors.push(e) });
    cleanups.push(() => watch.close());

    const next = path.join(tempDir(), 'next');
    const second = server.tokenUser('admin', { entryName: 'second' });
    server.writeKubeconfig({ file: next, contexts: [{ name: 'one', user: admin }, { name: 'two', user: second }] });
    const text = readFileSync(next, 'utf8');
    // kubectl truncates and rewrites in place: the first read may stop in the middle of a token.
    writeFileSync(file, text.slice(0, text.indexOf(second.token) + 20));
    await vi.waitFor(() => expect(errors).toHaveLength(1), { timeout: 3000 });
    expect(errors[0].message).toMatch(new RegExp(`^kubeconfig ${file}: line \\d+, column \\d+: unexpected end of the stream within a double quoted scalar$`));
    expect(errors[0].message).not.toContain(second.token.slice(9, 20));
    expect(listContexts(watch.current()).map((c) => c.name)).toEqual(['one']);
    expect(changes).toEqual([]);

    writeFileSync(file, text);
    await vi.waitFor(() => expect(changes).toHaveLength(1), { timeout: 3000 });
    expect(listContexts(changes[0]).map((c) => c.name)).toEqual(['one', 'two']);
    expect(watch.current()).toBe(changes[0]);

    // Rewriting the same content is not a change; an atomic replace (rename) is seen through the directory.
    writeFileSync(file, text);
    const replaced = `${file}.tmp`;
    server.writeKubeconfig({ file: replaced, contexts: [{ name: 'three', user: admin }] });
    renameSync(replaced, file);
    await vi.waitFor(() => expect(changes).toHaveLength(2), { timeout: 3000 });
    expect(listContexts(changes[1]).map((c) => c.name)).toEqual(['three']);
  });
});

describe('exec credential plugins', () => {
  /** A plugin found by name on PATH, as aws or gke-gcloud-auth-plugin are: a shell script running the fake server's plugin. */
  function pluginOnPath(user: string, ttlSeconds = 60) {
    const exec = server.execUser(user, { ttlSeconds });
    const bin = path.join(tempDir(), 'bin');
    mkdirSync(bin);
    const command = `hopscope-test-auth-${Math.random().toString(36).slice(2, 8)}`;
    writeFileSync(path.join(bin, command), `#!/bin/sh\nexec "${process.execPath}" "${exec.exec.args[0]}"\n`);
    chmodSync(path.join(bin, command), 0o755);
    const user_: KubeconfigUser = { kind: 'exec', name: `${user}-plugin`, exec: { command, args: [] } };
    return { bin, command, user: user_, invocations: exec.invocations };
  }

  /** A $SHELL whose rc files print noise and put `bin` on PATH, as a login shell sourcing ~/.zprofile does. */
  function fakeShell(bin: string, body = ''): string {
    const shell = path.join(tempDir(), 'fake-zsh');
    writeFileSync(shell, `#!/bin/sh\necho "Welcome! PATH=/not/this"\n${body}PATH="${bin}:$PATH"\nexport PATH\nexec /bin/sh -c "$2"\n`);
    chmodSync(shell, 0o755);
    return shell;
  }

  it.skipIf(process.platform === 'win32')("reads the login shell's PATH between markers, ignoring rc noise, and gives up after the timeout", async () => {
    const shell = fakeShell('/opt/fake/bin');
    const found = await resolveLoginShellPath({ shell });
    expect(found?.split(path.delimiter)[0]).toBe('/opt/fake/bin');
    expect(found).not.toContain('Welcome');
    const slow = fakeShell('/opt/slow/bin', 'sleep 5\n');
    const started = Date.now();
    expect(await resolveLoginShellPath({ shell: slow, timeoutMs: 300 })).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await resolveLoginShellPath({ shell: path.join(tempDir(), 'no-such-shell') })).toBeUndefined();
    expect(await resolveLoginShellPath({ shell, platform: 'win32' })).toBeUndefined();
    expect(execSearchPath('/a:/b', '/b:/c', ':')).toBe('/a:/b:/c');
  });

  it.skipIf(process.platform === 'win32')('finds a plugin on the login shell PATH that this process does not have, and says which command was not found otherwise', async () => {
    const plugin = pluginOnPath('erin');
    const without = accessFor(plugin.user);
    const err = await failure(without.getJson('/api/v1/namespaces/exec/pods'), without);
    expect(err.failure).toBe('credential-plugin');
    expect(err.message).toBe(`the credential plugin "${plugin.command}" of user "erin-plugin" was not found: searched this process's PATH (the login shell's PATH could not be read): ${execSearchPath(undefined)}`);

    const loginPath = await resolveLoginShellPath({ shell: fakeShell(plugin.bin) });
    const access = accessFor(plugin.user, { loginShellPath: loginPath });
    expect((await access.getJson<PodList>('/api/v1/namespaces/exec/pods')).items).toHaveLength(1);
    expect(plugin.invocations()).toHaveLength(1);
    // As kubectl does (client-node does not), the plugin learns it may not prompt.
    expect(JSON.parse(plugin.invocations()[0].execInfo!)).toEqual({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', spec: { interactive: false } });
  });

  it('runs the plugin again when its credential expires, and when the server refuses it before that', async () => {
    const short = server.execUser('erin', { ttlSeconds: 1 });
    const access = accessFor(short);
    await access.getJson('/api/v1/namespaces/exec/pods');
    await access.getJson('/api/v1/namespaces/exec/pods');
    expect(short.invocations()).toHaveLength(1);
    await vi.waitFor(
      async () => {
        await access.getJson('/api/v1/namespaces/exec/pods');
        expect(short.invocations()).toHaveLength(2);
      },
      { timeout: 4000, interval: 200 },
    );

    const long = server.execUser('erin', { ttlSeconds: 600, entryName: 'erin-long' });
    const revoked = accessFor(long);
    await revoked.getJson('/api/v1/namespaces/exec/pods');
    server.revokeTokensOf('erin');
    // client-node would keep sending the cached token until it expires; the 401 renews it and the request is retried once.
    expect((await revoked.getJson<PodList>('/api/v1/namespaces/exec/pods')).items).toHaveLength(1);
    expect(long.invocations()).toHaveLength(2);
  });

  it('reports a failing plugin by its first stderr line, without the secrets it printed', async () => {
    const script = path.join(tempDir(), 'failing-plugin.mjs');
    const secret = 'AKIAEXAMPLESECRET42';
    writeFileSync(script, `process.stderr.write('\\nerror: cannot assume role with key ' + process.env.AWS_SECRET_ACCESS_KEY + '\\nsecond line\\n'); process.exit(3);\n`);
    const user: KubeconfigUser = { kind: 'exec', name: 'aws-user', exec: { command: process.execPath, args: [script], env: [{ name: 'AWS_SECRET_ACCESS_KEY', value: secret }] } };
    const access = accessFor(user);
    const err = await failure(access.getJson('/api/v1/namespaces/exec/pods'), access);
    expect(err.message).toBe(`the credential plugin "${process.execPath}" of user "aws-user" failed: error: cannot assume role with key [redacted]`);
  });
});

describe('failures of real requests, in words', () => {
  it('an expired token: the server and the user, never the token', async () => {
    const user = server.tokenUser('admin', { ttlMs: 200 });
    const access = accessFor(user);
    await access.getJson('/api/v1/namespaces/exec/pods');
    await new Promise((r) => setTimeout(r, 250));
    const err = await failure(access.getJson('/api/v1/namespaces/exec/pods'), access);
    expect(err).toMatchObject({ failure: 'unauthorized', status: 401 });
    expect(err.message).toMatch(new RegExp(`^the cluster at ${server.url.replace(/\./g, '\\.')} refused the credentials of user "admin-token": Unauthorized`));
    expect(err.message).not.toContain(user.token);
  });

  it('a server message quoting the token is redacted', async () => {
    const user = server.tokenUser('admin');
    const access = accessFor(user);
    server.injectFault({ path: /\/exec\/pods$/, code: 500, message: `authn webhook failed for Authorization: Bearer ${user.token} (token=${user.token})` });
    const err = await failure(access.getJson('/api/v1/namespaces/exec/pods'), access);
    expect(err.message).toBe(`the cluster at ${server.url} answered 500 InternalError to list pods in namespace exec: authn webhook failed for Authorization: Bearer [redacted] (token=[redacted])`);
  });

  it('unreachable servers and TLS trouble say which', async () => {
    const token = server.tokenUser('admin').token;
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const closedPort = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const ca = Buffer.from(server.caPem!).toString('base64');
    const cluster = (name: string, c: Record<string, string>) => ({ name, cluster: { server: server.url, ...c } });
    const file = path.join(tempDir(), 'config');
    writeFileSync(
      file,
      toYaml({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [cluster('no-ca', {}), cluster('wrong-name', { 'certificate-authority-data': ca, 'tls-server-name': 'api.wrong.example' }), cluster('down', { server: `https://127.0.0.1:${closedPort}` })],
        users: [{ name: 'admin', user: { token } }],
        contexts: ['no-ca', 'wrong-name', 'down'].map((name) => ({ name, context: { cluster: name, user: 'admin' } })),
        'current-context': 'no-ca',
      }),
    );
    const loaded = loadKubeconfig({ kubeconfig: file });
    const messages: Record<string, string> = {};
    for (const context of ['no-ca', 'wrong-name', 'down']) {
      const access = new ClusterAccess(loaded, { context });
      messages[context] = (await failure(access.getJson('/api/v1/namespaces/exec/pods'), access)).message;
    }
    expect(messages['no-ca']).toMatch(new RegExp(`^the TLS certificate of the cluster at ${server.url.replace(/\./g, '\\.')} is signed by an authority the kubeconfig does not trust \\(\\w+\\)`));
    expect(messages['wrong-name']).toContain(`the TLS certificate of the cluster at ${server.url} does not match the host name it was reached by: Hostname/IP does not match certificate's altnames: Host: api.wrong.example.`);
    expect(messages.down).toBe(`cannot reach the cluster at https://127.0.0.1:${closedPort}: connection refused (ECONNREFUSED)`);
    expect(Object.values(messages).join('\n')).not.toContain(token);
  });
});
