// Import cycles between the project's own modules, type-only imports included (import-x/no-cycle skips
// those, yet a type cycle still ties two layers together). The graph of relative imports is read with
// TypeScript's own pre-processor and kept per file by modification time; cycles are strongly connected
// components (Tarjan). An import is reported when its target is in the importer's component.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const EXTENSIONS = ['.ts', '.tsx', '.mts', '/index.ts', '/index.tsx'];
const parsed = new Map(); // file → { mtimeMs, imports: [{ specifier, target }] }

function resolveRelative(fromFile, specifier) {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(fromFile), specifier);
  for (const candidate of [base, ...EXTENSIONS.map((ext) => base + ext)]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not this one
    }
  }
  return undefined;
}

function importsOf(file) {
  let mtimeMs;
  try {
    mtimeMs = statSync(file).mtimeMs;
  } catch {
    return [];
  }
  const known = parsed.get(file);
  if (known && known.mtimeMs === mtimeMs) return known.imports;
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const imports = info.importedFiles.flatMap(({ fileName }) => {
    const target = resolveRelative(file, fileName);
    return target ? [{ specifier: fileName, target }] : [];
  });
  parsed.set(file, { mtimeMs, imports });
  return imports;
}

/** The strongly connected component of `start` among the modules reachable from it. */
function componentOf(start) {
  let index = 0;
  const order = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  let found;
  // Iterative Tarjan: deep import chains must not overflow the call stack.
  const work = [{ node: start, edges: importsOf(start), next: 0 }];
  order.set(start, index);
  low.set(start, index++);
  stack.push(start);
  onStack.add(start);
  while (work.length > 0) {
    const frame = work[work.length - 1];
    if (frame.next < frame.edges.length) {
      const { target } = frame.edges[frame.next++];
      if (!order.has(target)) {
        order.set(target, index);
        low.set(target, index++);
        stack.push(target);
        onStack.add(target);
        work.push({ node: target, edges: importsOf(target), next: 0 });
      } else if (onStack.has(target)) {
        low.set(frame.node, Math.min(low.get(frame.node), order.get(target)));
      }
      continue;
    }
    work.pop();
    if (work.length > 0) {
      const parent = work[work.length - 1].node;
      low.set(parent, Math.min(low.get(parent), low.get(frame.node)));
    }
    if (low.get(frame.node) === order.get(frame.node)) {
      const component = new Set();
      let member;
      do {
        member = stack.pop();
        onStack.delete(member);
        component.add(member);
      } while (member !== frame.node);
      if (component.has(start)) found = component;
    }
  }
  return found ?? new Set([start]);
}

/** @type {import('eslint').Rule.RuleModule} */
export default {
  meta: {
    type: 'problem',
    docs: { description: 'Disallow import cycles between modules, type-only imports included.' },
    schema: [],
    messages: { cycle: 'Import cycle: {{chain}}. Move what both need to a module below them.' },
  },
  create(context) {
    const file = context.physicalFilename;
    const cwd = context.cwd;
    return {
      Program(program) {
        const component = componentOf(file);
        if (component.size < 2) return;
        for (const node of program.body) {
          const source = node.type === 'ImportDeclaration' || node.type === 'ExportNamedDeclaration' || node.type === 'ExportAllDeclaration' ? node.source : undefined;
          if (!source || typeof source.value !== 'string') continue;
          const target = resolveRelative(file, source.value);
          if (!target || !component.has(target)) continue;
          const chain = shortestPathBack(target, file, component).map((f) => path.relative(cwd, f));
          context.report({ node, messageId: 'cycle', data: { chain: [path.relative(cwd, file), ...chain].join(' → ') } });
        }
      },
    };
  },
};

/** target → … → file inside the component, by breadth-first search, for a message a person can follow. */
function shortestPathBack(target, file, component) {
  const previous = new Map([[target, undefined]]);
  const queue = [target];
  while (queue.length > 0) {
    const node = queue.shift();
    if (node === file) break;
    for (const { target: next } of importsOf(node)) {
      if (!component.has(next) || previous.has(next)) continue;
      previous.set(next, node);
      queue.push(next);
    }
  }
  const chain = [];
  for (let node = file; node !== undefined; node = previous.get(node)) chain.unshift(node);
  return chain;
}
