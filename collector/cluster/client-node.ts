// @kubernetes/client-node, loaded when a cluster is first used rather than when the collector starts: loading it
// takes ~26 MB of heap (its API models), which serve would otherwise carry for users who never connect one.
import { createRequire } from 'node:module';
import type * as ClientNode from '@kubernetes/client-node';

let loaded: typeof ClientNode | undefined;

export function clientNode(): typeof ClientNode {
  return (loaded ??= createRequire(import.meta.url)('@kubernetes/client-node') as typeof ClientNode);
}
