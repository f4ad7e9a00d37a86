import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import reactHooks from 'eslint-plugin-react-hooks';
import noImportCycle from './eslint-rules/no-import-cycle.js';

const root = import.meta.dirname;

// Which process may load which code (VS Code's layering, as a lint rule rather than a habit).
const uiOnly = ['electron', 'react', 'react-dom', 'react-dom/*', 'zustand', 'd3', 'd3-*', 'monaco-editor', 'monaco-editor/*'];

// The layers of the code, each a set of files. Data flows one way — receivers/importers → store → analysis →
// api — and a layer imports only the layers it is allowed below (DESIGN.md; README "Layout").
const layers = {
  common: ['common/**'],
  base: ['collector/{model,errors,fingerprint,net,paths,progress,workers}.ts'],
  otlp: ['collector/otlp/**'],
  store: ['collector/store/**'],
  receivers: ['collector/receivers/**'],
  importers: ['collector/importers/**'],
  exporters: ['collector/exporters/**'],
  cluster: ['collector/cluster/**'],
  analysis: ['collector/analysis/**'],
  api: ['collector/api/**'],
  app: ['collector/{cli,collector,live-analysis,analyze}.ts'],
  main: ['main/**'],
  preload: ['preload/**'],
  renderer: ['renderer/**'],
  fixtures: ['fixtures/**'],
  tests: ['test/**'],
  bench: ['bench/**'],
};

/** What each layer may import besides itself (the rest of the repository is off limits). */
const allowed = {
  common: [],
  base: ['common'],
  otlp: ['common', 'base'],
  store: ['common', 'base', 'otlp'],
  receivers: ['common', 'base', 'otlp', 'store'],
  importers: ['common', 'base', 'otlp'],
  exporters: ['common', 'base', 'otlp', 'importers', 'store'],
  cluster: ['common', 'base', 'store'],
  // Detectors are pure functions of spans, logs and cluster history: they read no store and no network.
  analysis: ['common', 'base'],
  api: ['common', 'base', 'otlp', 'store', 'importers', 'analysis', 'cluster'],
  app: ['common', 'base', 'otlp', 'store', 'receivers', 'importers', 'exporters', 'cluster', 'analysis', 'api'],
  // The shell runs the collector in a utility process; it never loads the UI's code.
  main: ['common', 'base', 'otlp', 'store', 'receivers', 'importers', 'exporters', 'cluster', 'analysis', 'api', 'app', 'preload'],
  preload: ['common'],
  // The renderer reaches the collector over HTTP only; what both need is in common/.
  renderer: ['common'],
};

const layerZones = Object.entries(allowed).map(([layer, may]) => ({
  target: layers[layer],
  from: Object.keys(layers)
    .filter((other) => other !== layer && !may.includes(other))
    .flatMap((other) => layers[other]),
  message: `${layer} may import only ${may.length ? may.join(', ') : 'itself'} (eslint.config.js, layers).`,
}));

/** Tests and their helpers may reach across layers to set up what they test. */
const testFiles = ['**/*.test.ts', '**/*.test.tsx', 'collector/store/testing.ts', 'collector/analysis/test-spans.ts', 'collector/store/crash-writer.ts'];

export default tseslint.config(
  { ignores: ['node_modules', 'dist', 'out', 'coverage', 'test-results', '.bench-tmp', '.tools', 'test/lint/fixtures'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    plugins: { 'import-x': importX, local: { rules: { 'no-import-cycle': noImportCycle } } },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: ['tsconfig.json', 'renderer/tsconfig.json', 'main/tsconfig.json'], noWarnOnMultipleProjects: true })] },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
      'local/no-import-cycle': 'error',
    },
  },
  {
    files: ['**/*.{ts,tsx}'],
    ignores: testFiles,
    rules: { 'import-x/no-restricted-paths': ['error', { basePath: root, zones: layerZones }] },
  },
  {
    files: ['common/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'better-sqlite3', '@grpc/*', '@kubernetes/*', ...uiOnly], message: 'common/ is plain TypeScript that the collector and the renderer both load: no Node, no UI library.' },
          ],
        },
      ],
    },
  },
  {
    files: ['collector/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: uiOnly, message: 'collector/ is Node-only: it never imports Electron, React or DOM code.' },
            { group: ['**/renderer/**', '**/main/**', '**/preload/**'], message: 'collector/ must not depend on the app shells.' },
          ],
        },
      ],
    },
  },
  {
    files: ['main/**/*.ts', 'preload/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['react', 'react-dom', 'react-dom/*', 'zustand', 'd3', 'd3-*', 'monaco-editor', 'monaco-editor/*'], message: 'The Electron shell never loads UI libraries: the renderer does.' },
            { group: ['**/renderer/**'], message: 'The Electron shell loads the renderer over HTTP, never by import.' },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    ignores: ['renderer/vite.config.ts'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['electron', 'better-sqlite3', '@grpc/*', '@kubernetes/*', '@opentelemetry/*', 'node:*'],
              message: 'The renderer runs in a browser; it talks to the collector through the API client only.',
            },
          ],
        },
      ],
    },
  },
);
