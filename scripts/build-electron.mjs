#!/usr/bin/env node
// Builds the Electron shell: main, preload and the collector utility process as CommonJS bundles in dist/.
// better-sqlite3 is a Node-API addon with prebuilt binaries: the one in node_modules loads in Node and in
// Electron alike, so nothing is rebuilt for Electron's ABI.
import { build } from 'vite';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const entries = [
  { entry: 'main/main.ts', outDir: 'dist/main', file: 'main.cjs' },
  { entry: 'main/collector-process.ts', outDir: 'dist/main', file: 'collector-process.cjs' },
  // Worker threads the collector starts, beside it (collector/workers.ts finds them there).
  { entry: 'collector/store/writer-worker.ts', outDir: 'dist/main', file: 'writer-worker.cjs' },
  { entry: 'collector/analysis-worker.ts', outDir: 'dist/main', file: 'analysis-worker.cjs' },
  { entry: 'collector/window-worker.ts', outDir: 'dist/main', file: 'window-worker.cjs' },
  // The SQL console's process, forked per query runner (collector/store/sql-console.ts finds it beside the collector).
  { entry: 'collector/store/sql-console-worker.ts', outDir: 'dist/main', file: 'sql-console-worker.cjs' },
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
      target: 'node24',
      minify: false,
      sourcemap: true,
      rollupOptions: { external: ['electron', /^node:/], output: { format: 'cjs', entryFileNames: file } },
    },
  });
}
