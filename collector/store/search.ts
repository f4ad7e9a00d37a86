// What trace and log searches ask of the search indexes (search-index.ts), and the same tests in JavaScript for
// the rows the indexes do not cover yet. A search reads its candidates from an index when they are few
// (≤ CANDIDATE_CAP documents, counted with a bound) and otherwise walks the traces or logs newest first,
// testing each: a common value is met within a few rows of the walk, a rare one is listed by the index, and
// neither costs more as the store grows.
import { InputError } from '../errors';
import type { AnyValue } from '../model';
import { decodeAttributes, decodeValue, valueText } from '../otlp/attribute-json';
import { prepared, type Db } from './connection';
import { KEPT_SEPARATORS, keyIsWhole, keyTerm, otherValuesTerm, valueIsWhole, valueTerm } from './search-index';

/** Index documents (or log records) up to which a search lists its candidates from the index. */
export const CANDIDATE_CAP = 5000;

/** One attribute test: `key` present (no value), equal to `value`, or (prefix) starting with it. Values compare as text. */
export interface AttributeFilter {
  key: string;
  value?: string;
  prefix?: boolean;
}

/** Reads `key`, `key=value` and `key=value*` (a trailing `\*` is a literal star). */
export function parseAttributeFilter(text: string): AttributeFilter {
  const eq = text.indexOf('=');
  if (eq === 0) throw new InputError(`attr ${JSON.stringify(text)} has no key: use key, key=value or key=prefix*`, { field: 'attr' });
  if (eq < 0) return { key: text };
  const key = text.slice(0, eq);
  const value = text.slice(eq + 1);
  if (value.endsWith('\\*')) return { key, value: value.slice(0, -2) + '*' };
  if (value.endsWith('*')) return value === '*' ? { key } : { key, value: value.slice(0, -1), prefix: true };
  return { key, value };
}

/** `filter` as `parseAttributeFilter` reads it back. */
export function formatAttributeFilter(filter: AttributeFilter): string {
  if (filter.value === undefined) return filter.key;
  if (filter.prefix) return `${filter.key}=${filter.value}*`;
  return `${filter.key}=${filter.value.endsWith('*') ? `${filter.value.slice(0, -1)}\\*` : filter.value}`;
}

const MODE = { exists: 0, equals: 1, prefix: 2 } as const;

function modeOf(f: AttributeFilter): number {
  if (f.value === undefined) return MODE.exists;
  return f.prefix ? MODE.prefix : MODE.equals;
}

/** The arguments of hopscope_attribute_matches after the JSON, for this filter. */
export function matchArgs(f: AttributeFilter): [string, number, string] {
  return [f.key, modeOf(f), f.value ?? ''];
}

/** Registered on the reader: attribute and text tests as a person reads the values. */
export function registerSearchFunctions(db: Db): void {
  db.function('hopscope_attribute_matches', { deterministic: true }, (json: unknown, key: unknown, mode: unknown, value: unknown) => {
    const k = String(key);
    if (typeof json !== 'string' || !json.includes(JSON.stringify(k))) return 0;
    const attrs = decodeAttributes(json);
    if (!Object.hasOwn(attrs, k)) return 0;
    if (mode === MODE.exists) return 1;
    const text = valueText(attrs[k]);
    return (mode === MODE.prefix ? text.startsWith(String(value)) : text === value) ? 1 : 0;
  });
  db.function('hopscope_text_matches', { deterministic: true }, (body: unknown, query: unknown) =>
    textMatches(bodyText(decodeValue(String(body))), JSON.parse(String(query)) as TextQuery) ? 1 : 0,
  );
}

/** How a log body is searched: a string as its text, anything else as its JSON (as log_text holds it). */
function bodyText(v: AnyValue): string {
  return typeof v === 'string' ? v : valueText(v);
}

export interface AttributeTerms {
  /** FTS5 query for the documents whose terms decide the match. */
  exact: string;
  /** FTS5 query for documents with a value of the key that has no term (doubles, maps…): candidates to test. */
  maybe?: string;
  /** Whether documents found by `exact` still need the JSON test (a key or value longer than its term). */
  check: boolean;
}

const phrase = (term: string) => `"${term}"`;

export function attributeTerms(f: AttributeFilter): AttributeTerms {
  const wholeKey = keyIsWhole(f.key);
  if (f.value === undefined) return { exact: phrase(keyTerm(f.key)), check: !wholeKey };
  const term = valueTerm(f.key, f.value);
  const whole = wholeKey && valueIsWhole(f.value);
  return {
    // a prefix longer than a term is looked up as the whole term it starts with, and checked
    exact: f.prefix && whole ? `${phrase(term)}*` : phrase(term),
    maybe: phrase(otherValuesTerm(f.key)),
    check: !whole,
  };
}

/** How many documents match `query`, counting to at most cap + 1. */
export function boundedCount(db: Db, table: 'attr_terms' | 'log_text', query: string, cap: number): number {
  const row = prepared<[string, number], { n: bigint }>(db, `SELECT count(*) AS n FROM (SELECT 1 FROM ${table} WHERE ${table} MATCH ? LIMIT ?)`).get(query, cap + 1)!;
  return Number(row.n);
}

// ---- Log text ----

/** A log text search: each part must match; a part is a phrase (one or more tokens), the last token maybe a prefix. */
export interface TextQuery {
  parts: { body: string[]; parts: string[]; prefix: boolean }[];
}

const TOKEN = new RegExp(`[\\p{L}\\p{N}${KEPT_SEPARATORS.replace(/[-./]/g, '\\$&')}]+`, 'gu');
const PART_TOKEN = /[\p{L}\p{N}]+/gu;

// As unicode61 folds: lower case, diacritics removed.
const fold = (text: string) => text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
const tokens = (text: string, pattern: RegExp) => fold(text).match(pattern) ?? [];

/**
 * Reads what a person types into the logs search: words, each matching a word of the message that starts with it
 * (ids and paths are words: `order-88` finds `order-8812`, and a plain word finds one of their parts too:
 * `orders` finds `/api/orders/42`), and "quoted phrases".
 */
export function parseTextQuery(text: string): TextQuery {
  const parts: TextQuery['parts'] = [];
  for (const m of text.matchAll(/"([^"]*)"?|(\S+)/g)) {
    const quoted = m[1] !== undefined;
    const raw = quoted ? m[1] : m[2];
    const body = tokens(raw, TOKEN);
    if (body.length === 0) continue;
    // A single word is also looked for inside ids and paths; an id or path itself from its start (as a phrase of
    // its parts it would cost a walk through every record with its most common part, `ORD` of `ORD-12345`).
    const wordParts = tokens(raw, PART_TOKEN);
    parts.push({ body, parts: wordParts.length === 1 ? wordParts : [], prefix: !quoted });
  }
  return { parts };
}

/** The FTS5 query over log_text for `q` (its words as whole words with `prefixes` false), or undefined when it has no words. */
export function textMatchQuery(q: TextQuery, options: { prefixes?: boolean } = {}): string | undefined {
  if (q.parts.length === 0) return undefined;
  const star = (p: { prefix: boolean }) => (p.prefix && options.prefixes !== false ? '*' : '');
  return q.parts
    .map((p) => {
      const body = `body : "${p.body.join(' ')}"${star(p)}`;
      return p.parts.length === 0 ? body : `(${body} OR parts : "${p.parts.join(' ')}"${star(p)})`;
    })
    .join(' AND ');
}

/** What log_text's MATCH of textMatchQuery(q) decides, for a body not yet indexed. */
export function textMatches(text: string, q: TextQuery): boolean {
  const body = tokens(text, TOKEN);
  const parts = tokens(text, PART_TOKEN);
  return q.parts.every((p) => hasPhrase(body, p.body, p.prefix) || (p.parts.length > 0 && hasPhrase(parts, p.parts, p.prefix)));
}

function hasPhrase(haystack: string[], phraseTokens: string[], prefix: boolean): boolean {
  const last = phraseTokens.length - 1;
  outer: for (let i = 0; i + last < haystack.length; i++) {
    for (let k = 0; k < last; k++) if (haystack[i + k] !== phraseTokens[k]) continue outer;
    const t = haystack[i + last];
    if (prefix ? t.startsWith(phraseTokens[last]) : t === phraseTokens[last]) return true;
  }
  return false;
}
