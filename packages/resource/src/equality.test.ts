import { describe, expect, it } from 'vitest';
import { resourceEquals, specEquals } from './equality.ts';
import { newResource, tombstone, withMetadata } from './resource.ts';

describe('specEquals', () => {
  it.each([
    [1, 1, true],
    [1, 2, false],
    ['a', 'a', true],
    [null, undefined, false],
    [NaN, NaN, true],
    [{ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }, true],
    [{ a: 1 }, { a: 1, b: 2 }, false],
    [{ a: 1, b: undefined }, { a: 1 }, true],
    [[1, 2], [2, 1], false],
    [[1], { 0: 1 }, false],
    [new Date(5), new Date(5), true],
    [new Date(5), new Date(6), false],
    [new Date(5), 5, false],
    [{ d: { e: [{ f: 'x' }] } }, { d: { e: [{ f: 'x' }] } }, true],
    [{ d: { e: [{ f: 'x' }] } }, { d: { e: [{ f: 'y' }] } }, false],
  ])('specEquals(%j, %j) = %s', (a, b, expected) => {
    expect(specEquals(a, b)).toBe(expected);
    expect(specEquals(b, a)).toBe(expected);
  });
});

describe('resourceEquals', () => {
  const base = newResource(
    {
      namespace: 'ns',
      type: 'Things.test.dev',
      id: 'a',
      version: 3,
      finalizers: ['x', 'y'],
      labels: { k1: 'v1', k2: 'v2' },
      created: new Date(1),
      updated: new Date(2),
    },
    { n: 1 },
  );

  it('ignores created and updated', () => {
    expect(resourceEquals(base, withMetadata(base, { created: new Date(100), updated: new Date(200) }))).toBe(true);
  });

  it('compares finalizers as sets and labels as maps', () => {
    expect(resourceEquals(base, withMetadata(base, { finalizers: ['y', 'x'], labels: { k2: 'v2', k1: 'v1' } }))).toBe(true);
    expect(resourceEquals(base, withMetadata(base, { finalizers: ['x'] }))).toBe(false);
    expect(resourceEquals(base, withMetadata(base, { labels: { k1: 'v1' } }))).toBe(false);
  });

  it.each([
    ['version', { version: 4 }],
    ['owner', { owner: 'ctrl' }],
    ['phase', { phase: 'tearingDown' as const }],
    ['annotations', { annotations: { a: 'b' } }],
  ])('sees a change of %s', (_field, patch) => {
    expect(resourceEquals(base, withMetadata(base, patch))).toBe(false);
  });

  it('sees a change of identity and spec', () => {
    expect(resourceEquals(base, newResource({ ...base.metadata, id: 'b' }, base.spec))).toBe(false);
    expect(resourceEquals(base, newResource(base.metadata, { n: 2 }))).toBe(false);
  });

  it('uses the given spec equality instead of the structural one', () => {
    const other = newResource(base.metadata, { n: 2 });
    expect(resourceEquals(base, other, () => true)).toBe(true);
    expect(resourceEquals(base, base, () => false)).toBe(false);
  });

  it('treats tombstones as equal only to matching tombstones', () => {
    const t = tombstone({ namespace: 'ns', type: 'Things.test.dev', id: 'a' });
    expect(resourceEquals(t, tombstone(t.metadata))).toBe(true);
    expect(resourceEquals(t, withMetadata(base, { version: 0, finalizers: [], labels: {} }))).toBe(false);
  });
});
