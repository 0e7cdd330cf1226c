import { describe, expect, it } from 'vitest';
import { cloneSpec, deepFreeze } from './plain-data.ts';

describe('deepFreeze', () => {
  it('freezes nested objects, arrays and dates in place and returns the same value', () => {
    const value = { a: { b: [1, { c: 'x' }] }, when: new Date(5), nothing: null };
    const out = deepFreeze(value, 'spec');
    expect(out).toBe(value);
    expect(Object.isFrozen(value)).toBe(true);
    expect(Object.isFrozen(value.a)).toBe(true);
    expect(Object.isFrozen(value.a.b)).toBe(true);
    expect(Object.isFrozen(value.a.b[1])).toBe(true);
    expect(Object.isFrozen(value.when)).toBe(true);
  });

  it('accepts shared (non-cyclic) references and null-prototype objects', () => {
    const shared = { x: 1 };
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { y: 2 });
    expect(() => deepFreeze({ p: shared, q: shared, bare })).not.toThrow();
    expect(Object.isFrozen(shared)).toBe(true);
  });

  it.each([
    ['a function', { f: () => 1 }, /spec\.f is a function/],
    ['a symbol', { s: Symbol('x') }, /spec\.s is a symbol/],
    ['a class instance', { m: new Map() }, /spec\.m is an instance of Map/],
    ['a custom class', { list: [new (class Point {})()] }, /spec\.list\[0\] is an instance of Point/],
    ['a typed array', { bytes: new Uint8Array(2) }, /spec\.bytes is a typed array/],
    ['symbol keys', { o: { [Symbol('k')]: 1 } }, /spec\.o is an object with symbol keys/],
  ])('rejects %s with a TypeError naming the value and path', (_name, value, message) => {
    expect(() => deepFreeze(value, 'spec')).toThrow(TypeError);
    expect(() => deepFreeze(value, 'spec')).toThrow(message);
  });

  it('rejects cycles', () => {
    const a: Record<string, unknown> = { n: 1 };
    a['self'] = { back: a };
    expect(() => deepFreeze(a, 'spec')).toThrow(/spec\.self\.back is a cycle/);
  });

  it('leaves a rejected value unfrozen', () => {
    const value = { ok: { deep: [1] }, bad: () => 0 };
    expect(() => deepFreeze(value)).toThrow(TypeError);
    expect(Object.isFrozen(value.ok)).toBe(false);
    expect(Object.isFrozen(value.ok.deep)).toBe(false);
  });

  it('names the value "value" when no name is given', () => {
    expect(() => deepFreeze(() => 1)).toThrow(/^value is a function/);
  });
});

describe('cloneSpec', () => {
  it('copies deeply: nothing is shared, the input is not frozen', () => {
    const value = { a: [{ b: 1 }], when: new Date(42) };
    const copy = cloneSpec(value);
    expect(copy).toEqual(value);
    expect(copy.a).not.toBe(value.a);
    expect(copy.a[0]).not.toBe(value.a[0]);
    expect(copy.when).not.toBe(value.when);
    expect(copy.when.getTime()).toBe(42);
    expect(Object.isFrozen(copy)).toBe(false);
    expect(Object.isFrozen(value)).toBe(false);
  });

  it('keeps a "__proto__" key as data', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    const copy = cloneSpec(value);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('copies a frozen value into a mutable one', () => {
    const copy = cloneSpec(deepFreeze({ a: { b: 1 } }));
    copy.a.b = 2;
    expect(copy.a.b).toBe(2);
  });

  it('rejects what deepFreeze rejects', () => {
    expect(() => cloneSpec({ f: () => 1 }, 'spec')).toThrow(/spec\.f is a function/);
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expect(() => cloneSpec(cyclic, 'spec')).toThrow(/spec\[0\] is a cycle/);
  });
});
