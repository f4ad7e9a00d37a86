import { describe, expect, it } from 'vitest';
import { setAttribute, type Attributes } from '../model';
import { encodeAnyValue, encodeAttributes, TelemetryTables } from './encode';

describe('encodeAnyValue', () => {
  it('keeps OTLP types that JSON would lose', () => {
    expect(encodeAnyValue(9007199254740993n)).toEqual({ int: '9007199254740993' });
    expect(encodeAnyValue(3.0)).toBe(3);
    expect(encodeAnyValue(Number.NaN)).toEqual({ double: 'NaN' });
    expect(encodeAnyValue(-Infinity)).toEqual({ double: '-Infinity' });
    expect(encodeAnyValue(new Uint8Array([0xde, 0xad, 0xbe, 0xef]))).toEqual({ bytes: '3q2+7w==' });
    expect(encodeAnyValue([1n, 'a', null])).toEqual([{ int: '1' }, 'a', null]);
    expect(encodeAnyValue({ kvlist: { k: true } })).toEqual({ kvlist: { k: true } });
  });

  it('writes a __proto__ attribute as a plain key that survives JSON', () => {
    const attrs: Attributes = {};
    setAttribute(attrs, '__proto__', 'x');
    setAttribute(attrs, 'ok', 1n);
    const wire = encodeAttributes(attrs);
    const back = JSON.parse(JSON.stringify(wire)) as Record<string, unknown>;
    expect(Object.keys(back)).toEqual(['__proto__', 'ok']);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(back['__proto__']).toBe('x');
  });
});

describe('TelemetryTables', () => {
  it('sends equal resources once, whether shared by reference or copied', () => {
    const t = new TelemetryTables();
    const a = { attributes: { 'service.name': 'api' }, droppedAttributesCount: 0, schemaUrl: '' };
    const copy = { attributes: { 'service.name': 'api' }, droppedAttributesCount: 0, schemaUrl: '' };
    const other = { attributes: { 'service.name': 'db' }, droppedAttributesCount: 0, schemaUrl: '' };
    expect([t.resourceIndex(a), t.resourceIndex(a), t.resourceIndex(copy), t.resourceIndex(other)]).toEqual([0, 0, 0, 1]);
    expect(t.resources.map((r) => r.service)).toEqual(['api', 'db']);
  });
});
