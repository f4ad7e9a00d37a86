import { describe, expect, it } from 'vitest';
import { setAttribute, serviceName, emptyResource, type Attributes } from './model';

describe('model', () => {
  it('stores a __proto__ attribute as a plain key without touching the prototype', () => {
    const attrs: Attributes = {};
    setAttribute(attrs, '__proto__', 'x');
    expect(Object.keys(attrs)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(attrs)).toBe(Object.prototype);
  });

  it('names a resource without service.name unknown_service', () => {
    expect(serviceName(emptyResource())).toBe('unknown_service');
  });
});
