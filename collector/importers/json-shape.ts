import { InputError } from '../errors';

/** A parsed JSON object whose fields are still unchecked. */
export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function expectObject(v: unknown, field: string): JsonObject {
  if (!isObject(v)) throw new InputError(`${field}: expected an object, got ${describe(v)}`, { field });
  return v;
}

export function expectArray(v: unknown, field: string): unknown[] {
  if (!Array.isArray(v)) throw new InputError(`${field}: expected an array, got ${describe(v)}`, { field });
  return v;
}

/** An optional array field: absent or null is empty. */
export function optionalArray(v: unknown, field: string): unknown[] {
  return v === undefined || v === null ? [] : expectArray(v, field);
}

export function expectString(v: unknown, field: string): string {
  if (typeof v !== 'string') throw new InputError(`${field}: expected a string, got ${describe(v)}`, { field });
  return v;
}

export function optionalString(v: unknown, field: string): string | undefined {
  return v === undefined || v === null ? undefined : expectString(v, field);
}

export function optionalNumber(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`${field}: expected a number, got ${describe(v)}`, { field });
  return v;
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}
