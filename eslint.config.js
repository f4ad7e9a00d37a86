import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

// Which process may load which code (VS Code's layering, as a lint rule rather than a habit).
const uiOnly = ['electron', 'react', 'react-dom', 'react-dom/*', 'zustand', 'd3', 'd3-*', 'monaco-editor', 'monaco-editor/*'];

export default tseslint.config(
  { ignores: ['node_modules', 'dist', 'out', 'coverage', 'test-results', '.bench-tmp'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
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
    files: ['renderer/**/*.{ts,tsx}'],
    ignores: ['renderer/vite.config.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['electron', 'better-sqlite3', '@grpc/*', 'node:*'], message: 'The renderer runs in a browser; it talks to the collector through the API client only.' },
            { group: ['**/collector/**'], allowTypeImports: true, message: 'The renderer imports only types from collector/.' },
          ],
        },
      ],
    },
  },
);
