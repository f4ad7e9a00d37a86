// The layering and cycle rules of eslint.config.js, proven to bite: each forbidden import is an error,
// each allowed one is not.
import path from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: root });
});

/** The rule ids (with the first message) ESLint reports for `code` as if it were the file at `file`. */
async function problems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

const layering = /^import-x\/no-restricted-paths: /;

describe('layers', () => {
  // [importing file, import that must fail, import of the same shape that is allowed]
  const cases: [string, string, string][] = [
    ['collector/store/probe.ts', "import { FindingAggregator } from '../analysis';", "import { decodeTracesProto } from '../otlp/proto';"],
    ['collector/otlp/probe.ts', "import { openStore } from '../store';", "import { newSpan } from '../model';"],
    ['collector/otlp/probe.ts', "import { importFile } from '../importers';", "import { FINDING_KINDS } from '../../common/findings';"],
    ['collector/analysis/probe.ts', "import { openStore } from '../store';", "import { serviceName } from '../model';"],
    ['collector/analysis/probe.ts', "import { startHttpReceiver } from '../receivers/http';", "import { SpanKind } from '../../common/telemetry';"],
    ['collector/receivers/probe.ts', "import { assembleTrace } from '../analysis';", "import { encodeBatch } from '../store/encode';"],
    ['collector/importers/probe.ts', "import { openStore } from '../store';", "import { decodeTracesJson } from '../otlp/json';"],
    ['collector/api/probe.ts', "import { startHttpReceiver } from '../receivers/http';", "import { assembleTrace } from '../analysis';"],
    ['collector/cluster/probe.ts', "import { assembleTrace } from '../analysis';", "import { openStore } from '../store';"],
    ['collector/model.ts', "import { openStore } from './store';", "import { SpanKind } from '../common/telemetry';"],
    ['common/probe.ts', "import { newSpan } from '../collector/model';", "import { plural } from './text';"],
    ['preload/probe.ts', "import type { CollectorLaunch } from '../main/contract';", "import { Channel } from '../common/ipc';"],
    ['renderer/src/probe.ts', "import { serviceName } from '../../collector/model';", "import { FINDING_KINDS } from '../../common/findings';"],
  ];

  it.each(cases)('%s: refuses %s, takes %s', async (file, forbidden, allowed) => {
    const refused = await problems(file, `${forbidden}\nexport {};\n`);
    expect(refused.some((p) => layering.test(p)), refused.join('\n')).toBe(true);
    const taken = await problems(file, `${allowed}\nexport {};\n`);
    expect(taken.filter((p) => layering.test(p))).toEqual([]);
  });

  it('lets tests reach across layers to set up what they test', async () => {
    const found = await problems('collector/store/probe.test.ts', "import { FindingAggregator } from '../analysis';\nexport {};\n");
    expect(found.filter((p) => layering.test(p))).toEqual([]);
  });
});

describe('process boundaries', () => {
  it.each([
    ['main/probe.ts', "import { useState } from 'react';", /Electron shell never loads UI libraries/],
    ['main/probe.ts', "import { App } from '../renderer/src/views/App';", /loads the renderer over HTTP/],
    ['collector/api/probe.ts', "import { create } from 'zustand';", /collector\/ is Node-only/],
    ['renderer/src/probe.ts', "import { KubeConfig } from '@kubernetes/client-node';", /renderer runs in a browser/],
    ['renderer/src/probe.ts', "import { readFileSync } from 'node:fs';", /renderer runs in a browser/],
    ['common/probe.ts', "import { createHash } from 'node:crypto';", /common\/ is plain TypeScript/],
  ])('%s: %s is refused', async (file, code, message) => {
    const found = await problems(file, `${code}\nexport {};\n`);
    expect(found.some((p) => p.startsWith('no-restricted-imports: ') && message.test(p)), found.join('\n')).toBe(true);
  });
});

describe('cycles', () => {
  it('reports a cycle made only of type imports, naming the chain', async () => {
    // `eslint .` ignores the fixtures; lint them here on purpose.
    const linter = new ESLint({ cwd: root, ignore: false });
    const [a] = await linter.lintFiles([path.join(root, 'test/lint/fixtures/cycle-a.ts')]);
    expect(a.messages.map((m) => `${m.ruleId}: ${m.message}`)).toEqual([
      'local/no-import-cycle: Import cycle: test/lint/fixtures/cycle-a.ts → test/lint/fixtures/cycle-b.ts → test/lint/fixtures/cycle-a.ts. Move what both need to a module below them.',
    ]);
  });
});

describe('react hooks', () => {
  it('refuses a hook called conditionally in the renderer', async () => {
    const code = "import { useState } from 'react';\nexport function View({ on }: { on: boolean }) {\n  if (on) useState(0);\n  return null;\n}\n";
    const found = await problems('renderer/src/views/Probe.tsx', code);
    expect(found.some((p) => p.startsWith('react-hooks/rules-of-hooks: ')), found.join('\n')).toBe(true);
  });
});
