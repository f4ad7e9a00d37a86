import { InputError } from '../errors';
import { parseAttributeFilter } from '../store/search';
import type { LogQuery, TraceQuery } from '../store/types';
import type { WireLogQuery, WireTraceQuery } from '../../common/wire';

/** Trace search as URL parameters: the store's query plus `hasFinding`, which the API answers itself. */
export interface TraceSearch extends TraceQuery {
  hasFinding?: boolean;
}

/** A request's query, read only by the names its route declares (common/routes): the server reads what the client sends. */
export class QueryParams<Q> {
  constructor(private readonly params: URLSearchParams) {}

  /** The value, or undefined when it is absent or empty. */
  text(name: keyof Q & string): string | undefined {
    const v = this.params.get(name);
    return v === null || v === '' ? undefined : v;
  }

  /** Every value of a repeated parameter, in order. */
  all(name: keyof Q & string): string[] {
    return this.params.getAll(name);
  }

  nanos(name: keyof Q & string): bigint | undefined {
    const v = this.text(name);
    if (v === undefined) return undefined;
    if (!/^\d{1,20}$/.test(v)) throw new InputError(`${name} must be a whole number of nanoseconds, got ${JSON.stringify(v)}`, { field: name });
    return BigInt(v);
  }

  integer(name: keyof Q & string, min: number, max: number): number | undefined {
    const v = this.text(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new InputError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`, { field: name });
    return n;
  }

  flag(name: keyof Q & string): boolean | undefined {
    const v = this.text(name);
    if (v === undefined) return undefined;
    if (v !== 'true' && v !== 'false') throw new InputError(`${name} must be true or false, got ${JSON.stringify(v)}`, { field: name });
    return v === 'true';
  }

  hexId(name: keyof Q & string, digits: number): string | undefined {
    const v = this.text(name)?.toLowerCase();
    if (v !== undefined && !new RegExp(`^[0-9a-f]{${digits}}$`).test(v)) throw new InputError(`${name} must be ${digits} hex digits, got ${JSON.stringify(v)}`, { field: name });
    return v;
  }
}

export function parseTraceSearch(query: QueryParams<WireTraceQuery>): TraceSearch {
  const status = query.text('status');
  if (status !== undefined && status !== 'error' && status !== 'ok') throw new InputError(`status must be error or ok, got ${JSON.stringify(status)}`, { field: 'status' });
  const attributes = query.all('attr').filter((a) => a !== '').map(parseAttributeFilter);
  return {
    service: query.text('service'),
    operation: query.text('operation'),
    minDurationNs: query.nanos('minDurationNs'),
    maxDurationNs: query.nanos('maxDurationNs'),
    status,
    attributes: attributes.length ? attributes : undefined,
    hasFinding: query.flag('hasFinding'),
    fromNs: query.nanos('fromNs'),
    toNs: query.nanos('toNs'),
    limit: query.integer('limit', 1, 1000),
    cursor: query.text('cursor'),
  };
}

export function parseLogQuery(query: QueryParams<WireLogQuery>): LogQuery {
  return {
    service: query.text('service'),
    minSeverity: query.integer('minSeverity', 0, 24),
    text: query.text('text'),
    traceId: query.hexId('traceId', 32),
    spanId: query.hexId('spanId', 16),
    fromNs: query.nanos('fromNs'),
    toNs: query.nanos('toNs'),
    limit: query.integer('limit', 1, 1000),
    cursor: query.text('cursor'),
  };
}
