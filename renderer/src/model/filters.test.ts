import { describe, expect, it } from 'vitest';
import { parseDuration } from './format';
import { attributeFilterProblem, durationProblem } from './filters';

describe('attributeFilterProblem', () => {
  it('accepts key=value (an empty value included), a bare key and key=prefix*, as the API does', () => {
    for (const ok of ['tenant=acme', ' http.route=/a=b ', 'tenant=', '', 'tenant', 'http.route=/api/*']) expect(attributeFilterProblem(ok)).toBeUndefined();
  });

  it('says what to write when the key is missing', () => {
    expect(attributeFilterProblem('=acme')).toBe('The key is missing: use `key`, `key=value` or `key=prefix*`, e.g. `http.route=/api/orders*`');
  });
});

describe('durationProblem', () => {
  it('explains a duration it cannot read', () => {
    expect(durationProblem('fast', parseDuration('fast'))).toMatch(/^Use a number and a unit/);
    expect(durationProblem('250ms', parseDuration('250ms'))).toBeUndefined();
    expect(durationProblem(' ', undefined)).toBeUndefined();
  });
});
