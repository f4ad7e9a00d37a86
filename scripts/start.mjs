#!/usr/bin/env node
// `npm start`: the desktop app where Electron can run, otherwise the same UI served to a browser.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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
    if (!hasDisplay()) return { reason: 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)', noDisplay: true };
    return { binary };
  } catch (err) {
    return { reason: `Electron cannot be loaded (${err.message})` };
  }
}

function hasDisplay() {
  return process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}

/**
 * Whether this process is in the foreground process group of its terminal. Then Ctrl-C there sends SIGINT to
 * every process of the group — the child too, which shares it — so forwarding it would make the child see two.
 */
function inTerminalForeground() {
  try {
    if (process.platform === 'linux') {
      // /proc/self/stat: "pid (comm) state ppid pgrp session tty_nr tpgid …"; comm may hold spaces and parentheses.
      const stat = readFileSync('/proc/self/stat', 'utf8');
      const [, , pgrp, , ttyNr, tpgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
      return ttyNr !== 0 && tpgid > 0 && tpgid === pgrp;
    }
    if (process.platform === 'win32') return false;
    const r = spawnSync('ps', ['-o', 'pgid=,tpgid=', '-p', String(process.pid)], { encoding: 'utf8' });
    const [pgid, tpgid] = r.stdout.trim().split(/\s+/).map(Number);
    return tpgid > 0 && tpgid === pgid;
  } catch {
    return false;
  }
}

/**
 * Stops the child when this process is asked to stop, once: SIGINT from the terminal has reached the child
 * already, and npm forwards to this process the SIGINT it got from the terminal too, so a signal of a kind
 * already passed on is not passed on again. The child's own handling decides what repeated Ctrl-C means.
 */
function stopChildOnSignals(child) {
  const forwarded = new Set();
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      if (forwarded.has(signal) || (signal === 'SIGINT' && inTerminalForeground())) return;
      forwarded.add(signal);
      child.kill(signal);
    });
  }
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (signalNumber(signal) ?? 0) : 0)));
}

function signalNumber(signal) {
  return { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }[signal];
}

if (!existsSync(path.join(root, 'dist', 'renderer', 'index.html'))) run(['run', 'build:renderer']);

const electron = electronBinary();
const passThrough = process.argv.slice(2);
if (electron.binary) {
  run(['run', 'build:electron']);
  stopChildOnSignals(spawn(electron.binary, [root, ...passThrough], { stdio: 'inherit' }));
} else {
  // Without a display no browser can open either: the UI address is printed instead.
  const open = electron.noDisplay || !hasDisplay() ? [] : ['--open'];
  console.log(`Electron cannot start: ${electron.reason}. Serving the same UI ${open.length ? 'in your browser' : 'at the address below'} instead.`);
  stopChildOnSignals(spawn(process.execPath, [path.join(root, 'bin', 'hopscope.mjs'), 'serve', ...open, ...passThrough], { stdio: 'inherit' }));
}
