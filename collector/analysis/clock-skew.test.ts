import { describe, expect, it } from 'vitest';
import { SpanKind } from '../model';
import { assembleTrace } from './assemble';
import { clockSkewAdjustments, clockSkewRows, findClockSkew, hostOf } from './clock-skew';
import { resource, span } from './test-spans';

const a = resource('a', 'host-a');
const b = resource('b', 'host-b');
const c = resource('c', 'host-c');

describe('clock skew', () => {
  it('centres a server that starts before its client (half-latency) and reports the pair', () => {
    const trace = assembleTrace([
      span({ id: '1', kind: SpanKind.CLIENT, start: 100, end: 200, resource: a }),
      span({ id: '2', parent: '1', kind: SpanKind.SERVER, start: 40, end: 130, resource: b }),
    ]);
    // latency (100 - 90) / 2 = 5: the server should start at 105, so b runs 65 ms behind.
    expect(clockSkewAdjustments(trace)[1]).toBeCloseTo(65e6, 0);
    const [found] = findClockSkew(trace);
    expect(clockSkewRows(trace)).toEqual([1]);
    expect(found).toMatchObject({ kind: 'clock-skew', subkind: 'client-server', service: 'b', severity: 'warning' });
    expect(found.evidence).toMatchObject({ skewMs: -65, startsBeforeParentMs: 60, parentHost: 'host-a', childHost: 'host-b' });
  });

  it('judges each hop on its own two clocks and corrects the view subtree by subtree', () => {
    const chain = (cOffset: number) =>
      assembleTrace([
        span({ id: '1', kind: SpanKind.CLIENT, start: 0, end: 100, resource: a }),
        span({ id: '2', parent: '1', kind: SpanKind.SERVER, start: -49, end: 49, resource: b }), // b is 50 ms behind
        span({ id: '3', parent: '2', kind: SpanKind.CLIENT, start: -40, end: 40, resource: b }),
        span({ id: '4', parent: '3', kind: SpanKind.SERVER, start: 11 + cOffset, end: 89 + cOffset, resource: c }),
      ]);
    // c keeps true time: it disagrees with b by as much as b disagrees with a
    const right = chain(0);
    expect(findClockSkew(right).map((f) => [f.service, f.evidence.parentHost, f.evidence.skewMs])).toEqual([
      ['b', 'host-a', -50],
      ['c', 'host-b', 50],
    ]);
    expect([...clockSkewAdjustments(right)].map((ns) => ns / 1e6)).toEqual([0, 50, 50, 0]);
    // c is as far behind as b: b and c agree, and the whole subtree moves together
    const behind = chain(-50);
    expect(findClockSkew(behind).map((f) => f.service)).toEqual(['b']);
    expect([...clockSkewAdjustments(behind)].map((ns) => ns / 1e6)).toEqual([0, 50, 50, 50]);
  });

  it('leaves alone what fits, what is within the 5 ms tolerance, and hops on one host', () => {
    const sameHost = resource('b', 'host-a');
    const trace = assembleTrace([
      span({ id: '1', kind: SpanKind.CLIENT, start: 0, end: 100, resource: a }),
      span({ id: '2', parent: '1', kind: SpanKind.SERVER, start: 1, end: 99, resource: b }),
      span({ id: '3', parent: '1', kind: SpanKind.SERVER, start: -3, end: 50, resource: b }),
      span({ id: '4', parent: '1', kind: SpanKind.SERVER, start: -30, end: 20, resource: sameHost }),
    ]);
    expect(findClockSkew(trace)).toEqual([]);
    expect(findClockSkew(trace, { toleranceNs: 1e6 }).map((f) => f.at.spanId)).toEqual(['0000000000000003']);
  });

  it('only asks an asynchronous consumer not to start before its producer', () => {
    const trace = assembleTrace([
      span({ id: '1', kind: SpanKind.PRODUCER, start: 100, end: 101, resource: a }),
      span({ id: '2', parent: '1', kind: SpanKind.CONSUMER, start: 500, end: 900, resource: b }), // late: fine
      span({ id: '3', parent: '1', kind: SpanKind.CONSUMER, start: 90, end: 95, resource: c }), // before: skew
    ]);
    const found = findClockSkew(trace);
    expect(found.map((f) => [f.service, f.subkind, f.evidence.model])).toEqual([['c', 'producer-consumer', 'start-order']]);
    expect(found[0].evidence.skewMs).toBe(-10);
  });

  it('treats spans of one service without host attributes as one clock, and of two services as two', () => {
    const one = resource('solo');
    const other = resource('other');
    const trace = assembleTrace([
      span({ id: '1', kind: SpanKind.CLIENT, start: 0, end: 10, resource: one }),
      span({ id: '2', parent: '1', kind: SpanKind.SERVER, start: -20, end: 5, resource: one }),
      span({ id: '3', parent: '1', kind: SpanKind.SERVER, start: -20, end: 5, resource: other }),
    ]);
    expect(findClockSkew(trace).map((f) => [f.service, f.evidence.childHost])).toEqual([['other', 'an unknown host']]);
  });

  it('identifies hosts by host.id, then host.ip (in any order), then host.name, then service.instance.id', () => {
    const r = (attributes: Record<string, string | string[]>) => ({ attributes, droppedAttributesCount: 0, schemaUrl: '' });
    expect(hostOf(r({ 'host.id': 'i-1', 'host.name': 'web' }))).toEqual({ key: 'host.id=i-1', label: 'web' });
    expect(hostOf(r({ 'host.ip': ['10.0.0.2', '10.0.0.1'] }))?.key).toBe(hostOf(r({ 'host.ip': ['10.0.0.1', '10.0.0.2'] }))?.key);
    expect(hostOf(r({ 'service.instance.id': 'pod-7' }))).toEqual({ key: 'service.instance.id=pod-7', label: 'pod-7' });
    expect(hostOf(r({}))).toBeUndefined();
  });
});
