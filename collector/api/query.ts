import { InputError } from '../errors';
import type { LogQuery, TraceQuery } from '../store/types';

/** Trace search as URL parameters: the store's query plus `hasFinding`, which the API answers itself. */
export interface TraceSearch extends TraceQuery {
  hasFinding?: boolean;
}

function nanos(params: URLSearchParams, name: string): bigint | undefined {
  const v = params.get(name);
  if (v === null || v === '') return undefined;
  if (!/^\d{1,20}$/.test(v)) throw new InputError(`${name} must be a whole number of nanoseconds, got ${JSON.stringify(v)}`, { field: name });
  return BigInt(v);
}

function integer(params: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const v = params.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new InputError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`, { field: name });
  return n;
}

function text(params: URLSearchParams, name: string): string | undefined {
  const v = params.get(name);
  return v === null || v === '' ? undefined : v;
}

function flag(params: URLSearchParams, name: string): boolean | undefined {
  const v = params.get(name);
  if (v === null || v === '') return undefined;
  if (v !== 'true' && v !== 'false') throw new InputError(`${name} must be true or false, got ${JSON.stringify(v)}`, { field: name });
  return v === 'true';
}

function hexId(params: URLSearchParams, name: string, digits: number): string | undefined {
  const v = text(params, name)?.toLowerCase();
  if (v !== undefined && !new RegExp(`^[0-9a-f]{${digits}}$`).test(v)) throw new InputError(`${name} must be ${digits} hex digits, got ${JSON.stringify(v)}`, { field: name });
  return v;
}

/**
 * `?service=&operation=&minDurationNs=&maxDurationNs=&status=error|ok&attr=key=value…&hasFinding=true
 * &fromNs=&toNs=&limit=&cursor=`
 */
export function parseTraceSearch(params: URLSearchParams): TraceSearch {
  const status = text(params, 'status');
  if (status !== undefined && status !== 'error' && status !== 'ok') throw new InputError(`status must be error or ok, got ${JSON.stringify(status)}`, { field: 'status' });
  const attributes = params.getAll('attr').filter((a) => a !== '').map((a) => {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new InputError(`attr must be key=value, got ${JSON.stringify(a)}`, { field: 'attr' });
    return { key: a.slice(0, eq), value: a.slice(eq + 1) };
  });
  return {
    service: text(params, 'service'),
    operation: text(params, 'operation'),
    minDurationNs: nanos(params, 'minDurationNs'),
    maxDurationNs: nanos(params, 'maxDurationNs'),
    status,
    attributes: attributes.length ? attributes : undefined,
    hasFinding: flag(params, 'hasFinding'),
    fromNs: nanos(params, 'fromNs'),
    toNs: nanos(params, 'toNs'),
    limit: integer(params, 'limit', 1, 1000),
    cursor: text(params, 'cursor'),
  };
}

/** `?service=&minSeverity=&text=&traceId=&spanId=&fromNs=&toNs=&limit=&cursor=` */
export function parseLogQuery(params: URLSearchParams): LogQuery {
  return {
    service: text(params, 'service'),
    minSeverity: integer(params, 'minSeverity', 0, 24),
    text: text(params, 'text'),
    traceId: hexId(params, 'traceId', 32),
    spanId: hexId(params, 'spanId', 16),
    fromNs: nanos(params, 'fromNs'),
    toNs: nanos(params, 'toNs'),
    limit: integer(params, 'limit', 1, 1000),
    cursor: text(params, 'cursor'),
  };
}
