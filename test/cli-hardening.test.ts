// Each spawned CLI takes seconds to start (tsx); tests that run several get more than the default 30 s.
// Hardening #6, #12, #13, #14: `--db` that cannot be a database, a damaged database, the text report, the
// gRPC log line before a port error, a checkout whose UI is not built, and Ctrl-C pressed twice.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, closeSync, writeSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureRendererBuilt, stopSignals } from '../collector/cli';
import { openStore } from '../collector/store';
import { span, spanId, traceId } from '../collector/store/testing';
import { corpusPath, repoRoot } from './corpus';

const bin = path.join(repoRoot, 'bin', 'hopscope.mjs');
let dir: string;
const started: ChildProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hopscope-cli-hardening-'));
});
afterEach(() => {
  // Each child was started in its own process group: whatever is left of it goes.
  for (const child of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

function hopscope(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: dir, env: { ...process.env, HOPSCOPE_DATA_DIR: dir } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `command` in its own process group and resolves once its output matches `ready`. */
function startUntil(command: string, args: string[], ready: RegExp, env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(command, args, { cwd: dir, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  started.push(child);
  let out = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    for (const w of [...waiters]) {
      if (w.pattern.test(out)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      if (pattern.test(out)) return resolve();
      waiters.push({ pattern, resolve });
      void exited.then(() => setImmediate(() => (pattern.test(out) ? resolve() : reject(new Error(`exited before ${pattern}: ${out}`)))));
    });
  return { child, waitFor, exited, output: () => out, ready: waitFor(ready) };
}

const servePorts = ['--otlp-grpc', '0', '--otlp-http', '0', '--ui', '0'];

/** A database of `spans` spans, checkpointed (nothing left in the WAL), and its page size. */
async function databaseWith(file: string, spans: number): Promise<number> {
  const store = openStore({ path: file });
  await store.write({ spans: Array.from({ length: spans }, (_, i) => span({ traceId: traceId(i + 1), spanId: spanId(i + 1), name: `op-${i}` })), logs: [] });
  await store.close();
  const header = readFileSync(file).subarray(16, 18);
  const pageSize = header.readUInt16BE(0);
  return pageSize === 1 ? 65536 : pageSize;
}

/** Overwrites `pages` pages from the middle of the file on with bytes that are no b-tree page. */
function damage(file: string, pageSize: number, pages = 4): void {
  const total = statSync(file).size / pageSize;
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, Buffer.alloc(pageSize * pages, 0xa5), 0, pageSize * pages, Math.floor(total / 2) * pageSize);
  } finally {
    closeSync(fd);
  }
}

describe('--db that cannot be a database', () => {
  it('exits 2 naming the path, without a stack trace, for a folder, a path under a file and a folder it cannot write', () => {
    const folder = path.join(dir, 'folder');
    mkdirSync(folder);
    const asFolder = hopscope('import', corpusPath('otlp2parquet/traces.jsonl'), '--db', folder);
    expect(asFolder.code).toBe(2);
    expect(asFolder.stderr).toBe(`hopscope: cannot use ${folder} as the database: it is a folder (to keep the database in it, name a file there, e.g. ${path.join(folder, 'hopscope.db')}); choose another file with --db\n`);

    const file = path.join(dir, 'file');
    writeFileSync(file, 'x');
    const underFile = hopscope('analyze', '--db', path.join(file, 'sub', 'x.db'));
    expect(underFile.code).toBe(2);
    expect(underFile.stderr).toBe(`hopscope: cannot use ${path.join(file, 'sub', 'x.db')} as the database: ${file} is a file, not a folder; choose another file with --db\n`);

    // root may write anywhere but in /proc
    let readOnly = '/proc';
    if (process.getuid?.() !== 0) {
      readOnly = path.join(dir, 'read-only');
      mkdirSync(readOnly);
      chmodSync(readOnly, 0o555);
    }
    const db = path.join(readOnly, 'hopscope-test.db');
    const serve = hopscope('serve', '--db', db, ...servePorts);
    expect(serve.code).toBe(2);
    expect(serve.stderr).toMatch(new RegExp(`^hopscope: cannot use ${db.replace(/[.]/g, '\\.')} as the database: cannot create a file in ${readOnly}.*choose another file with --db\\n$`));
    expect(serve.stderr).not.toMatch(/\n\s+at /);
    if (readOnly !== '/proc') chmodSync(readOnly, 0o755);
  }, 120_000);

  it('refuses a database with damaged pages when serve, import or analyze opens it', async () => {
    const db = path.join(dir, 'damaged.db');
    damage(db, await databaseWith(db, 3000));
    const expected = new RegExp(`^hopscope: the database ${db.replace(/[.]/g, '\\.')} is damaged \\(.+\\); move it aside and start a new one .*\\n$`);
    for (const args of [['import', corpusPath('otlp2parquet/traces.jsonl')], ['analyze'], ['serve', ...servePorts]]) {
      const r = hopscope(...args, '--db', db);
      expect(r.code, args[0]).toBe(2);
      expect(r.stderr, args[0]).toMatch(expected);
    }
    // An undamaged one still opens.
    const fine = path.join(dir, 'fine.db');
    await databaseWith(fine, 3000);
    expect(hopscope('analyze', '--db', fine, '--format', 'json').code).toBe(0);
  }, 120_000);
});

describe('retention flags', () => {
  /** An OTLP JSON file of `spans` spans (one per trace) of about 1 KB each. */
  function bigFile(spans: number): string {
    const file = path.join(dir, 'big.json');
    const padding = 'x'.repeat(1000);
    const list = Array.from({ length: spans }, (_, i) => ({
      traceId: (i + 1).toString(16).padStart(32, '0'),
      spanId: (i + 1).toString(16).padStart(16, '0'),
      name: 'GET /',
      startTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n),
      endTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n + 1000n),
      attributes: [{ key: 'payload', value: { stringValue: padding } }],
    }));
    writeFileSync(file, JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'big' } }] }, scopeSpans: [{ spans: list }] }] }));
    return file;
  }

  it('import keeps what --max-db-size allows, oldest first, and says what retention removed and how to keep more', async () => {
    const db = path.join(dir, 'small.db');
    const r = hopscope('import', bigFile(16_000), '--db', db, '--max-db-size', '10MiB');
    expect(r.stderr).toMatch(/big\.json: otlp-json, 16000 spans, 0 log records in/);
    expect(r.code).toBe(0);
    const removed = /Retention removed (\d+) spans in (\d+) traces and 0 log records, oldest first, to keep 10 MiB of data and what arrived within 7d; keep more with --max-db-size or --max-age\n/.exec(r.stdout);
    expect(removed, r.stdout).not.toBeNull();
    const store = openStore({ path: db, maxBytes: 2 ** 40 });
    const kept = store.reader.stats();
    const newest = store.reader.searchTraces({ limit: 1 }).items[0];
    await store.close();
    expect(Number(removed![1]) + kept.spans).toBe(16_000);
    expect(Number(removed![2]) + kept.traces).toBe(16_000);
    // pages in use (the file keeps the freed ones for what comes next)
    const check = new Database(db, { readonly: true });
    const used = (check.pragma('page_count', { simple: true }) as number) - (check.pragma('freelist_count', { simple: true }) as number);
    expect(used * (check.pragma('page_size', { simple: true }) as number)).toBeLessThanOrEqual(10 * 2 ** 20);
    check.close();
    // the newest trace is kept
    expect(newest.traceId).toBe((16_000).toString(16).padStart(32, '0'));
    // the default keeps it all, and says nothing about retention
    const all = hopscope('import', bigFile(16_000), '--db', path.join(dir, 'all.db'));
    expect(all.code).toBe(0);
    expect(all.stdout).not.toMatch(/Retention/);
  }, 120_000);

  it('refuses a size or an age it cannot read, or one too small to keep anything, naming the flag', () => {
    const file = corpusPath('otlp2parquet/traces.jsonl');
    const cases: [string[], string][] = [
      [['--max-db-size', '5 parsecs'], '--max-db-size wants a size such as 500MB or 4GiB, got "5 parsecs"'],
      [['--max-db-size', '1MB'], '--max-db-size 1MB is too small: at least 10MiB'],
      [['--max-age', '5'], '--max-age wants a duration such as 12h, 7d or 4w, got "5"'],
      [['--max-age', '30s'], '--max-age 30s is too short: at least 1m'],
    ];
    for (const [flags, message] of cases) {
      const r = hopscope('import', file, '--db', path.join(dir, 'x.db'), ...flags);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stderr).toContain(message);
    }
    const serve = hopscope('serve', '--db', path.join(dir, 'y.db'), ...servePorts, '--max-age', 'forever');
    expect(serve.code).toBe(2);
    expect(serve.stderr).toContain('--max-age wants a duration such as 12h, 7d or 4w, got "forever"');
  }, 120_000);
});

describe('the text report', () => {
  it('says 1 trace, wraps findings at 100 columns with indented continuations, and gives each kind its likely cause', () => {
    const r = hopscope('analyze', corpusPath('zipkin/lens-testdata/skew.json'));
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('4 spans, 0 log records, 1 trace, 2 services');
    expect(lines.every((l) => l.length <= 100)).toBe(true);
    expect(r.stdout).toContain('[clock-skew/client-server]');
    expect(lines.filter((l) => l.startsWith('    Likely cause: '))).toEqual([expect.stringMatching(/^ {4}Likely cause: The hosts' clocks disagree/)]);
    const title = lines.findIndex((l) => l.startsWith('  1 span of `serviceb`'));
    expect(lines[title + 1]).toMatch(/^ {6}\S/);
  });
});

describe('serve on a taken gRPC port', () => {
  it('prints only its own message, not grpc-js\'s log line', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      // spawn, not spawnSync: this process must keep the port while serve tries it
      const serve = startUntil(process.execPath, [bin, 'serve', '--db', path.join(dir, 'p.db'), '--otlp-grpc', String(port), '--otlp-http', '0', '--ui', '0'], /hopscope:/);
      expect(await serve.exited).toBe(2);
      expect(serve.output()).toBe(`hopscope: OTLP/gRPC receiver: port ${port} on 127.0.0.1 is already in use; free it or pick another with --otlp-grpc <port>\n`);
    } finally {
      taken.close();
    }
  });
});

describe('a checkout whose UI is not built', () => {
  function fakeCheckout(vite?: string): string {
    const root = path.join(dir, 'checkout');
    mkdirSync(path.join(root, 'renderer'), { recursive: true });
    writeFileSync(path.join(root, 'renderer', 'vite.config.ts'), 'export default {};\n');
    if (vite !== undefined) {
      mkdirSync(path.join(root, 'node_modules', 'vite', 'bin'), { recursive: true });
      writeFileSync(path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), vite);
    }
    return root;
  }
  // What `vite build` leaves behind, in the folder it runs in.
  const buildsIndex = `const fs = require('node:fs'); fs.mkdirSync('dist/renderer', { recursive: true }); fs.writeFileSync('dist/renderer/index.html', '<title>ok</title>');\n`;

  it('builds it with Vite, saying so', async () => {
    const root = fakeCheckout(buildsIndex);
    const err = capture();
    await ensureRendererBuilt(root, err.out, { build: true });
    expect(existsSync(path.join(root, 'dist', 'renderer', 'index.html'))).toBe(true);
    expect(err.text()).toBe('The UI is not built yet: building it now (npm run build:renderer)…\nThe UI is built.\n');
    // Built, it is left alone.
    const again = capture();
    await ensureRendererBuilt(root, again.out, { build: true });
    expect(again.text()).toBe('');
  });

  it('says how to build it when Vite is missing, when building is not wanted, or when the build fails', async () => {
    const noVite = capture();
    await ensureRendererBuilt(fakeCheckout(), noVite.out, { build: true });
    expect(noVite.text()).toMatch(/^The UI is not built, so its page will say so: run `npm run build:renderer` in .*checkout, then reload the page\.\n$/);

    const notWanted = capture();
    await ensureRendererBuilt(fakeCheckout(buildsIndex), notWanted.out, { build: false });
    expect(notWanted.text()).toContain('run `npm run build:renderer`');
    expect(existsSync(path.join(dir, 'checkout', 'dist'))).toBe(false);

    const fails = capture();
    await ensureRendererBuilt(fakeCheckout(`console.error('boom: cannot resolve react'); process.exit(3);\n`), fails.out, { build: true });
    expect(fails.text()).toContain('Building the UI failed (exit code 3):\nboom: cannot resolve react\nTo see why, run `npm run build:renderer`');
  });
});

describe('Ctrl-C twice', () => {
  it('serve: a second signal during shutdown says it is still shutting down, a third stops at once', async () => {
    const target = new EventEmitter();
    const err = capture();
    const exits: number[] = [];
    const stop = stopSignals(target, err.out, (code) => exits.push(code));
    target.emit('SIGINT', 'SIGINT');
    expect(await stop).toBe('SIGINT');
    target.emit('SIGINT', 'SIGINT');
    expect(err.text()).toContain('SIGINT: still shutting down…');
    expect(exits).toEqual([]);
    target.emit('SIGTERM', 'SIGTERM');
    expect(exits).toEqual([130]);
  });

  it('serve stores what it received and exits 0 when SIGINT comes again while it shuts down', async () => {
    const serve = startUntil(process.execPath, [bin, 'serve', '--db', path.join(dir, 'twice.db'), ...servePorts], /OTLP\/HTTP: (http:\S+)/);
    await serve.ready;
    const http = /OTLP\/HTTP: (http:\S+)/.exec(serve.output())![1];
    const spans = [1, 2, 3].map((i) => ({ traceId: 'ab'.repeat(16), spanId: `${i}`.repeat(16), name: `op-${i}`, startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000000001000' }));
    const res = await fetch(`${http}/v1/traces`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] }) });
    expect(res.status).toBe(200);
    serve.child.kill('SIGINT');
    await serve.waitFor(/flushing and stopping/);
    serve.child.kill('SIGINT');
    expect(await serve.exited).toBe(0);
    expect(serve.output()).toContain('Stored 3 spans and 0 log records from 1 requests this run.');
  });

  it('serve exits 0 with its summary when two SIGINTs arrive at once', async () => {
    const serve = startUntil(process.execPath, [bin, 'serve', '--db', path.join(dir, 'burst.db'), ...servePorts], /OTLP\/HTTP:/);
    await serve.ready;
    serve.child.kill('SIGINT');
    serve.child.kill('SIGINT');
    expect(await serve.exited).toBe(0);
    expect(serve.output()).toMatch(/Stored 0 spans/);
  });

  // scripts/start.mjs serves in the browser where Electron cannot run: without a display, on Linux.
  const startServes = process.platform === 'linux' && existsSync(path.join(repoRoot, 'dist', 'renderer', 'index.html'));
  const noDisplay = { ...process.env, DISPLAY: '', WAYLAND_DISPLAY: '' };

  it.runIf(startServes)('npm start (scripts/start.mjs) passes a stop on to serve once, however often it is asked', async () => {
    const start = startUntil(process.execPath, [path.join(repoRoot, 'scripts', 'start.mjs'), '--db', path.join(dir, 'start.db'), ...servePorts], /OTLP\/HTTP:/, noDisplay);
    await start.ready;
    // As npm does with the SIGINT it got from the terminal: forwarded to start.mjs, which got one itself too.
    start.child.kill('SIGINT');
    await start.waitFor(/flushing and stopping/);
    start.child.kill('SIGINT');
    expect(await start.exited).toBe(0);
    expect(start.output()).toMatch(/Stored 0 spans/);
    expect(start.output()).not.toMatch(/still shutting down/);
  });

  const hasScript = process.platform === 'linux' && spawnSync('script', ['--version']).status === 0;

  it.runIf(startServes && hasScript)('npm start in a terminal: Ctrl-C twice stops serve once, completely', async () => {
    // `script` gives start.mjs a terminal; ^C written to it is the terminal's Ctrl-C, sent to the whole foreground group.
    const command = `${process.execPath} ${path.join(repoRoot, 'scripts', 'start.mjs')} --db ${path.join(dir, 'tty.db')} ${servePorts.join(' ')}; echo "start exited $?"`;
    // script runs the command with $SHELL; dash (a CI machine's /bin/sh) dies of the terminal's SIGINT before its echo.
    const term = startUntil('script', ['-qfec', command, '/dev/null'], /OTLP\/HTTP:/, { ...noDisplay, SHELL: '/bin/bash' });
    await term.ready;
    term.child.stdin!.write('\x03');
    await term.waitFor(/flushing and stopping/);
    term.child.stdin!.write('\x03');
    await term.waitFor(/start exited \d+/);
    const out = term.output().replace(/\r/g, '');
    expect(out).toMatch(/Stored 0 spans/);
    expect(out).toContain('start exited 0');
    expect(out).not.toContain('stopping at once');
  });
});

function capture() {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  return { out, text: () => text };
}
