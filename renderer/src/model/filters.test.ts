import { describe, expect, it } from 'vitest';
import { parseDuration } from './format';
import { attributeFilterProblem, durationProblem } from './filters';

describe('attributeFilterProblem', () => {
  it('accepts key=value, an empty value included, as the API does', () => {
    expect(attributeFilterProblem('tenant=acme')).toBeUndefined();
    expect(attributeFilterProblem(' http.route=/a=b ')).toBeUndefined();
    expect(attributeFilterProblem('tenant=')).toBeUndefined();
    expect(attributeFilterProblem('')).toBeUndefined();
  });

  it('says why a bare key is refused: the API has no "key exists" filter', () => {
    expect(attributeFilterProblem('tenant')).toBe('`tenant` needs a value: use `key=value`, e.g. `tenant=<value>`. Filtering on whether a key exists is not supported.');
    expect(attributeFilterProblem('=acme')).toMatch(/^The key is missing: use `key=value`/);
  });
});

describe('durationProblem', () => {
  it('explains a duration it cannot read', () => {
    expect(durationProblem('fast', parseDuration('fast'))).toMatch(/^Use a number and a unit/);
    expect(durationProblem('250ms', parseDuration('250ms'))).toBeUndefined();
    expect(durationProblem(' ', undefined)).toBeUndefined();
  });
});
