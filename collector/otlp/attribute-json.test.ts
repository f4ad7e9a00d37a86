import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Attributes } from '../model';
import { decodeAttributes, decodeValue, encodeAttributes, encodeValue } from './attribute-json';
import { attributes } from '../store/testing';

const everyType: Attributes = attributes({
  str: 'plain',
  'non-ascii ключ 🔑': 'значение 🚀 "quoted" \\ back\nslash',
  empty: '',
  yes: true,
  no: false,
  int: 42n,
  negative: -7n,
  zeroInt: 0n,
  maxSafe: 9007199254740991n,
  beyondSafe: 9007199254740992n,
  int64Max: 9223372036854775807n,
  int64Min: -9223372036854775808n,
  double: 0.25,
  integralDouble: 3,
  negativeZero: -0,
  bigDouble: 1e21,
  nan: NaN,
  inf: Infinity,
  negInf: -Infinity,
  bytes: new Uint8Array([0, 1, 254, 255]),
  noBytes: new Uint8Array([]),
  nothing: null,
  array: ['a', 1n, 1.5, 2, true, null, [new Uint8Array([9])], { kvlist: attributes({ inner: 5n }) }],
  kv: { kvlist: attributes({ nested: { kvlist: attributes({ deep: [1n, 2.5] }) }, ['__proto__']: 'polluted?' }) },
  ['__proto__']: 'top-level proto key',
});

describe('attribute encoding', () => {
  it('writes strings exactly as JSON.stringify does, with or without characters to escape', () => {
    const strings = ['plain', '', 'quote " in', 'back \\ slash', 'tab\t nul\u0000 unit\u001f', 'del \u007f', 'pair 🔑', 'lone \ud800 high', 'lone \udfff low', 'ü \u2028'];
    for (const s of strings) expect(encodeValue(s)).toBe(JSON.stringify(s));
  });

  it('gives back every OTLP type unchanged', () => {
    const back = decodeAttributes(encodeAttributes(everyType));
    expect(back).toEqual(everyType);
    expect(Object.keys(back)).toEqual(Object.keys(everyType));
    expect(typeof back.int).toBe('bigint');
    expect(typeof back.integralDouble).toBe('number');
    expect(Object.is(back.negativeZero, -0)).toBe(true);
    expect(Number.isNaN(back.nan)).toBe(true);
    expect(back.int64Max).toBe(9223372036854775807n);
    expect(back.bytes).toBeInstanceOf(Uint8Array);
  });

  it('keeps __proto__ an own key at every level without touching prototypes', () => {
    const back = decodeAttributes(encodeAttributes(everyType));
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(back, '__proto__')?.value).toBe('top-level proto key');
    const kv = back.kv as { kvlist: Attributes };
    expect(Object.getOwnPropertyDescriptor(kv.kvlist, '__proto__')?.value).toBe('polluted?');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('writes common values as plain JSON and wraps only what JSON cannot say', () => {
    expect(encodeValue('x')).toBe('"x"');
    expect(encodeValue(true)).toBe('true');
    expect(encodeValue(200n)).toBe('200');
    expect(encodeValue(0.5)).toBe('0.5');
    expect(encodeValue(3)).toBe('{"d":3}');
    expect(encodeValue(NaN)).toBe('{"d":"NaN"}');
    expect(encodeValue(-Infinity)).toBe('{"d":"-Infinity"}');
    expect(encodeValue(9223372036854775807n)).toBe('{"i":"9223372036854775807"}');
    expect(encodeValue(new Uint8Array([1, 2, 3]))).toBe('{"b":"AQID"}');
    expect(encodeValue({ kvlist: attributes({ a: 'b' }) })).toBe('{"kv":{"a":"b"}}');
    expect(encodeValue(['a', 1n])).toBe('["a",1]');
    expect(encodeValue(null)).toBe('null');
    expect(decodeValue('7')).toBe(7n);
    expect(decodeValue('7.5')).toBe(7.5);
  });

  it('can be queried with json_extract in SQLite', () => {
    const db = new Database(':memory:');
    const json = encodeAttributes(attributes({ 'http.route': '/orders/{id}', 'http.response.status_code': 503n, 'app.ok': false, ratio: 0.5 }));
    const row = db
      .prepare(
        `SELECT json_extract(@j, '$."http.route"') AS route, json_extract(@j, '$."http.response.status_code"') AS status,
                json_extract(@j, '$."app.ok"') AS ok, json_extract(@j, '$.ratio') AS ratio`,
      )
      .get({ j: json });
    expect(row).toEqual({ route: '/orders/{id}', status: 503, ok: 0, ratio: 0.5 });
    db.close();
  });
});
