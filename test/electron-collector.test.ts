// Electron's binary cannot run here; this runs the collector bundle the desktop app forks
// (dist/main/collector-process.cjs) in plain Node with a stand-in for utilityProcess's parentPort.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './corpus';
import type { CollectorLaunch, CollectorMessage } from '../main/contract';

let dir: string;

beforeAll(() => {
  execFileSync(process.execPath, [path.join(repoRoot, 'scripts', 'build-electron.mjs')], { cwd: repoRoot, stdio: 'pipe' });
  dir = mkdtempSync(path.join(os.tmpdir(), 'hopscope-electron-'));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the desktop app collector process bundle', () => {
  it('starts the receivers and the UI, imports a file by path, and stops on request', async () => {
    const shim = path.join(dir, 'parent-port.cjs');
    // utilityProcess gives the child process.parentPort; here stdin/stdout lines carry the messages.
    writeFileSync(shim, `
      const { EventEmitter } = require('node:events');
      const port = new EventEmitter();
      port.postMessage = (m) => process.stdout.write('MSG ' + JSON.stringify(m) + '\\n');
      require('node:readline').createInterface({ input: process.stdin }).on('line', (l) => port.emit('message', { data: JSON.parse(l) }));
      process.parentPort = port;
    `);
    const trace = path.join(dir, 'trace.json');
    writeFileSync(trace, JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'desk' } }] }, scopeSpans: [{ spans: [
      { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', name: 'GET /', startTimeUnixNano: '1', endTimeUnixNano: '2' },
    ] }] }] }));
    const launch: CollectorLaunch = { dbPath: path.join(dir, 'app.db'), rendererDir: path.join(repoRoot, 'dist', 'renderer'), grpcPort: 0, httpPort: 0 };
    const child = spawn(process.execPath, ['--require', shim, path.join(repoRoot, 'dist', 'main', 'collector-process.cjs'), JSON.stringify(launch)], { cwd: dir });
    const messages: CollectorMessage[] = [];
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const next = (type: CollectorMessage['type']) =>
      new Promise<CollectorMessage>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${type} message; stderr: ${stderr}`)), 30_000);
        const check = () => {
          const m = messages.find((x) => x.type === type);
          if (m) {
            clearTimeout(timer);
            child.stdout.off('data', onData);
            resolve(m);
          }
        };
        const onData = () => check();
        child.stdout.on('data', onData);
        check();
      });
    let buffered = '';
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) if (line.startsWith('MSG ')) messages.push(JSON.parse(line.slice(4)));
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const ready = await next('ready');
      if (ready.type !== 'ready') throw new Error('unreachable');
      expect(ready.httpPort).toBeGreaterThan(0);
      const stats = await fetch(`${ready.apiBaseUrl}/api/stats`, { headers: { Authorization: `Bearer ${ready.apiToken}` } });
      expect(stats.status).toBe(200);
      expect((await fetch(`${ready.apiBaseUrl}/api/stats`)).status).toBe(401);

      child.stdin.write(`${JSON.stringify({ type: 'import', paths: [trace] })}\n`);
      const done = await next('import-done');
      expect(done).toMatchObject({ type: 'import-done', file: trace, spans: 1, logs: 0 });

      child.stdin.write(`${JSON.stringify({ type: 'stop' })}\n`);
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
