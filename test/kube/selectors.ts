import type { KubeObject, ResourceType } from './resources';

export type Matcher = (obj: KubeObject) => boolean;

export class SelectorError extends Error {}

const matchAll: Matcher = () => true;

function splitTopLevel(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms.map((t) => t.trim()).filter((t) => t.length > 0);
}

const labelKey = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const labelValue = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function checkKey(key: string, term: string): string {
  if (!labelKey.test(key)) throw new SelectorError(`unable to parse requirement: invalid label key "${key}" in "${term}"`);
  return key;
}

function checkValue(value: string, term: string): string {
  if (!labelValue.test(value)) throw new SelectorError(`unable to parse requirement: invalid label value "${value}" in "${term}"`);
  return value;
}

function labelRequirement(term: string): Matcher {
  const labels = (obj: KubeObject) => obj.metadata.labels ?? {};
  const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (set) {
    const key = checkKey(set[1], term);
    const values = new Set(set[3].split(',').map((v) => checkValue(v.trim(), term)));
    return set[2] === 'in'
      ? (obj) => key in labels(obj) && values.has(labels(obj)[key])
      : (obj) => !(key in labels(obj)) || !values.has(labels(obj)[key]);
  }
  const eq = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
  if (eq) {
    const key = checkKey(eq[1], term);
    const value = checkValue(eq[3], term);
    return eq[2] === '!=' ? (obj) => labels(obj)[key] !== value : (obj) => labels(obj)[key] === value;
  }
  const exists = /^(!?)\s*(\S+)$/.exec(term);
  if (exists) {
    const key = checkKey(exists[2], term);
    return exists[1] ? (obj) => !(key in labels(obj)) : (obj) => key in labels(obj);
  }
  throw new SelectorError(`unable to parse requirement: "${term}"`);
}

/** Equality (`=`, `==`, `!=`), set-based (`in`, `notin`) and existence (`k`, `!k`) label selectors. */
export function parseLabelSelector(selector: string | undefined): Matcher {
  if (!selector) return matchAll;
  const reqs = splitTopLevel(selector).map(labelRequirement);
  return (obj) => reqs.every((r) => r(obj));
}

/** Field selectors over the field labels the real registry supports for the resource. */
export function parseFieldSelector(selector: string | undefined, rt: ResourceType): Matcher {
  if (!selector) return matchAll;
  const reqs = splitTopLevel(selector).map((term): Matcher => {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw new SelectorError(`invalid selector: '${selector}'; can't understand '${term}'`);
    const [, field, op, value] = m;
    const get = rt.fieldLabels[field];
    if (!get) throw new SelectorError(`field label not supported: ${field}`);
    return op === '!=' ? (obj) => (get(obj) ?? '') !== value : (obj) => (get(obj) ?? '') === value;
  });
  return (obj) => reqs.every((r) => r(obj));
}
