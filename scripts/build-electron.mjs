#!/usr/bin/env node
// Builds the Electron shell: main, preload and the collector utility process as CommonJS bundles in dist/,
// and (with --native) better-sqlite3 for Electron's ABI into dist/electron-native, leaving the Node build in
// node_modules untouched so tests and the app never fight over one .node file.
import { build } from 'vite';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

const entries = [
  { entry: 'main/main.ts', outDir: 'dist/main', file: 'main.cjs' },
  { entry: 'main/collector-process.ts', outDir: 'dist/main', file: 'collector-process.cjs' },
  // Worker threads the collector starts, beside it (collector/workers.ts finds them there).
  { entry: 'collector/store/writer-worker.ts', outDir: 'dist/main', file: 'writer-worker.cjs' },
  // Sandboxed preloads cannot require anything but electron: bundle all of it.
  { entry: 'preload/preload.ts', outDir: 'dist/preload', file: 'preload.cjs' },
];

for (const { entry, outDir, file } of entries) {
  await build({
    configFile: false,
    root,
    logLevel: 'warn',
    build: {
      ssr: path.join(root, entry),
      outDir: path.join(root, outDir),
      emptyOutDir: false,
      target: 'node20',
      minify: false,
      sourcemap: true,
      rollupOptions: { external: ['electron', /^node:/], output: { format: 'cjs', entryFileNames: file } },
    },
  });
}

if (process.argv.includes('--native')) {
  const { rebuild } = await import('@electron/rebuild');
  const electronVersion = require('electron/package.json').version;
  const work = mkdtempSync(path.join(os.tmpdir(), 'hopscope-native-'));
  try {
    const moduleDir = path.join(work, 'node_modules', 'better-sqlite3');
    cpSync(path.dirname(require.resolve('better-sqlite3/package.json')), moduleDir, { recursive: true });
    cpSync(path.join(root, 'package.json'), path.join(work, 'package.json'));
    await rebuild({ buildPath: work, electronVersion, onlyModules: ['better-sqlite3'], force: true });
    const out = path.join(root, 'dist', 'electron-native');
    mkdirSync(out, { recursive: true });
    cpSync(path.join(moduleDir, 'build', 'Release', 'better_sqlite3.node'), path.join(out, 'better_sqlite3.node'));
    console.log(`better-sqlite3 built for Electron ${electronVersion} → dist/electron-native/`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
