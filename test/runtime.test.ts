import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('runtime', () => {
  it('the tests run on the Node major that .nvmrc names (the one Electron runs the collector on)', () => {
    const wanted = readFileSync(new URL('../.nvmrc', import.meta.url), 'utf8').trim();
    expect(process.versions.node.split('.')[0]).toBe(wanted);
  });
});
