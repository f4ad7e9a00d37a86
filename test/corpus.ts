// The shared corpus lives beside the checkout (../shared/corpus), in CI as on a developer machine.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const corpusRoot = path.resolve(repoRoot, '../shared/corpus');

export function corpusPath(relative: string): string {
  const p = path.join(corpusRoot, relative);
  if (!existsSync(p)) throw new Error(`corpus file missing: ${p} (the corpus is expected at ../shared/corpus)`);
  return p;
}
