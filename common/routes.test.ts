import { describe, expect, it } from 'vitest';
import { buildPath, buildUrl, matchPath, routes, type Route } from './routes';

const traceId = '0af7651916cd43dd8448eb211c80319c';
const spanId = 'b7ad6b7169203331';

describe('route table', () => {
  it('declares each method and path once', () => {
    const endpoints = Object.values(routes).map((r: Route) => `${r.method} ${r.path}`);
    expect(new Set(endpoints).size).toBe(endpoints.length);
  });

  it('finds every route by the path it builds, and no other route of the same method', () => {
    for (const [name, route] of Object.entries(routes) as [string, Route][]) {
      const path = buildPath(route, { traceId, spanId });
      const matching = Object.entries(routes).filter(([, r]: [string, Route]) => r.method === route.method && matchPath(r, path));
      expect(matching.map(([n]) => n), path).toEqual([name]);
    }
  });
});

describe('buildPath', () => {
  it('fills in path parameters', () => {
    expect(buildPath(routes.spanDetail, { traceId, spanId })).toBe(`/api/traces/${traceId}/spans/${spanId}`);
  });

  it('percent-encodes what would change the path', () => {
    expect(buildPath(routes.trace, { traceId: '../x?y#z' })).toBe('/api/traces/..%2Fx%3Fy%23z');
  });
});

describe('buildUrl', () => {
  it('adds the query, repeating arrays and leaving out undefined and empty values', () => {
    const url = buildUrl(routes.searchTraces, { query: { service: 'a b', operation: '', attr: ['k=v', 'x=&y'], hasFinding: false, limit: 20, cursor: undefined } });
    expect(url).toBe('/api/traces?service=a+b&attr=k%3Dv&attr=x%3D%26y&hasFinding=false&limit=20');
  });

  it('takes only what the route declares (checked by the compiler)', () => {
    // @ts-expect-error a span needs its trace id too
    buildUrl(routes.spanDetail, { params: { spanId } });
    // @ts-expect-error status is error or ok
    buildUrl(routes.searchTraces, { query: { status: 'failed' } });
    // @ts-expect-error the stitched view is found by query, not by path
    buildUrl(routes.stitched, { params: { traceId } });
    expect(buildUrl(routes.stitched, { query: { from: 'a', to: 'b' } })).toBe('/api/stitched?from=a&to=b');
  });

  it('has no question mark without a query', () => {
    expect(buildUrl(routes.trace, { params: { traceId } })).toBe(`/api/traces/${traceId}`);
    expect(buildUrl(routes.searchLogs, { query: {} })).toBe('/api/logs');
  });
});

describe('matchPath', () => {
  it('reads path parameters', () => {
    expect(matchPath(routes.spanDetail, `/api/traces/${traceId}/spans/${spanId}`)).toEqual({ traceId, spanId });
    expect(matchPath(routes.info, '/api/info')).toEqual({});
  });

  it('takes only parameters in their format: ids are lower-case hex of their length', () => {
    expect(matchPath(routes.trace, `/api/traces/${traceId.toUpperCase()}`)).toBeUndefined();
    expect(matchPath(routes.trace, `/api/traces/${traceId.slice(1)}`)).toBeUndefined();
    expect(matchPath(routes.trace, `/api/traces/${spanId}`)).toBeUndefined();
    expect(matchPath(routes.spanDetail, `/api/traces/${traceId}/spans/${traceId}`)).toBeUndefined();
    expect(matchPath(routes.trace, '/api/traces/%E0%A4%A')).toBeUndefined();
  });

  it('matches whole paths only', () => {
    expect(matchPath(routes.searchTraces, '/api/traces/')).toBeUndefined();
    expect(matchPath(routes.searchTraces, '/api/traces/x')).toBeUndefined();
    expect(matchPath(routes.trace, `/api/traces/${traceId}/spans`)).toBeUndefined();
    expect(matchPath(routes.info, '/api/Info')).toBeUndefined();
    expect(matchPath(routes.info, '/x/api/info')).toBeUndefined();
  });
});
