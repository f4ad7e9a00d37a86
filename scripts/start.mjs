#!/usr/bin/env node
// `npm start`: the desktop app where Electron can run, otherwise the same UI served to a browser.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(args) {
  const r = spawnSync(npm, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function electronBinary() {
  try {
    const pathFile = path.join(path.dirname(require.resolve('electron/package.json')), 'path.txt');
    if (!existsSync(pathFile)) return { reason: 'the Electron binary is not installed (ELECTRON_SKIP_BINARY_DOWNLOAD, or no network at install)' };
    const binary = require('electron');
    if (!existsSync(binary)) return { reason: `the Electron binary ${binary} is missing` };
    if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return { reason: 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)' };
    return { binary };
  } catch (err) {
    return { reason: `Electron cannot be loaded (${err.message})` };
  }
}

if (!existsSync(path.join(root, 'dist', 'renderer', 'index.html'))) run(['run', 'build:renderer']);

const electron = electronBinary();
const passThrough = process.argv.slice(2);
if (electron.binary) {
  run(['run', 'build:electron']);
  const child = spawn(electron.binary, [root, ...passThrough], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log(`Electron cannot start: ${electron.reason}. Serving the same UI in your browser instead.`);
  const child = spawn(process.execPath, [path.join(root, 'bin', 'hopscope.mjs'), 'serve', '--open', ...passThrough], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 0));
}
