import { describe, expect, it } from 'vitest';
import type { Metadata, Pointer } from './metadata.ts';
import { formatPointer, isTombstone, kindOf, newResource, pointerOf, tombstone, withMetadata } from './resource.ts';

const ptr = { namespace: 'ns', type: 'Things.test.dev', id: 'a' };

describe('newResource', () => {
  it('fills the defaults of a never-stored resource', () => {
    const r = newResource(ptr, { n: 1 });
    expect(r.metadata).toEqual({
      ...ptr,
      version: 0,
      owner: '',
      phase: 'running',
      finalizers: [],
      labels: {},
      annotations: {},
      created: new Date(0),
      updated: new Date(0),
    });
    expect(r.spec).toEqual({ n: 1 });
  });

  it('deep-freezes a copy and leaves the arguments alone', () => {
    const spec = { list: [{ n: 1 }] };
    const labels = { a: 'b' };
    const finalizers = ['f'];
    const r = newResource({ ...ptr, labels, finalizers }, spec);
    expect(Object.isFrozen(r)).toBe(true);
    expect(Object.isFrozen(r.metadata)).toBe(true);
    expect(Object.isFrozen(r.metadata.labels)).toBe(true);
    expect(Object.isFrozen(r.metadata.finalizers)).toBe(true);
    expect(Object.isFrozen(r.spec.list[0])).toBe(true);
    expect(Object.isFrozen(spec)).toBe(false);
    expect(Object.isFrozen(labels)).toBe(false);
    spec.list[0]!.n = 2;
    labels.a = 'c';
    finalizers.push('g');
    expect(r.spec.list[0]!.n).toBe(1);
    expect(r.metadata.labels).toEqual({ a: 'b' });
    expect(r.metadata.finalizers).toEqual(['f']);
  });

  it('keeps label, annotation and finalizer order', () => {
    const r = newResource({ ...ptr, labels: { z: '1', a: '2' }, annotations: { y: '', b: 'x' }, finalizers: ['q', 'b'] }, {});
    expect(Object.keys(r.metadata.labels)).toEqual(['z', 'a']);
    expect(Object.keys(r.metadata.annotations)).toEqual(['y', 'b']);
    expect(r.metadata.finalizers).toEqual(['q', 'b']);
  });

  const bad: [string, Partial<Metadata> & Record<string, unknown>, RegExp][] = [
    ['empty namespace', { namespace: '' }, /metadata\.namespace must be a non-empty string/],
    ['non-string type', { type: 3 as unknown as string }, /metadata\.type must be a non-empty string/],
    ['empty id', { id: '' }, /metadata\.id must be a non-empty string/],
    ['negative version', { version: -1 }, /ns\/Things\.test\.dev\/a: metadata\.version must be an integer >= 0/],
    ['fractional version', { version: 1.5 }, /metadata\.version must be an integer/],
    ['non-string owner', { owner: 1 as unknown as string }, /metadata\.owner must be a string/],
    ['unknown phase', { phase: 'done' as unknown as 'running' }, /metadata\.phase must be 'running' or 'tearingDown'/],
    ['duplicate finalizers', { finalizers: ['a', 'a'] }, /metadata\.finalizers must not contain duplicates/],
    ['non-string finalizer', { finalizers: [1] as unknown as string[] }, /metadata\.finalizers must be an array of strings/],
    ['non-string label', { labels: { a: 1 } as unknown as Record<string, string> }, /metadata\.labels\["a"\] must be a string/],
    ['labels not a map', { labels: ['a'] as unknown as Record<string, string> }, /metadata\.labels must be a string-to-string map/],
    ['non-string annotation', { annotations: { a: null } as unknown as Record<string, string> }, /metadata\.annotations\["a"\]/],
    ['created not a Date', { created: '2020' as unknown as Date }, /metadata\.created must be a valid Date/],
    ['invalid updated', { updated: new Date(NaN) }, /metadata\.updated must be a valid Date/],
  ];
  it.each(bad)('rejects %s with a TypeError naming the resource and rule', (_name, patch, message) => {
    expect(() => newResource({ ...ptr, ...patch } as Partial<Metadata> & Pointer, {})).toThrow(TypeError);
    expect(() => newResource({ ...ptr, ...patch } as Partial<Metadata> & Pointer, {})).toThrow(message);
  });

  it('rejects a spec that is not plain data, naming the resource', () => {
    expect(() => newResource(ptr, { f: () => 1 })).toThrow(/resource ns\/Things\.test\.dev\/a spec\.f is a function/);
  });

  it('rejects an undefined spec (that is a tombstone)', () => {
    expect(() => newResource(ptr, undefined)).toThrow(/spec must not be undefined/);
  });
});

describe('withMetadata', () => {
  const r = newResource({ ...ptr, labels: { a: 'b' } }, { n: 1 });

  it('returns a frozen copy with the patch applied and the spec shared', () => {
    const next = withMetadata(r, { version: 2, updated: new Date(7), finalizers: ['x'] });
    expect(next).not.toBe(r);
    expect(Object.isFrozen(next)).toBe(true);
    expect(next.spec).toBe(r.spec);
    expect(next.metadata).toMatchObject({ ...ptr, version: 2, finalizers: ['x'], labels: { a: 'b' } });
    expect(next.metadata.updated.getTime()).toBe(7);
    expect(r.metadata.version).toBe(0);
  });

  it('validates the result and refuses identity changes', () => {
    expect(() => withMetadata(r, { version: -3 })).toThrow(/metadata\.version/);
    expect(() => withMetadata(r, { id: 'b' } as never)).toThrow(/cannot change metadata\.id/);
  });
});

describe('tombstones and pointers', () => {
  it('builds a frozen kind-level tombstone', () => {
    const t = tombstone({ namespace: 'ns', type: 'Things.test.dev' });
    expect(isTombstone(t)).toBe(true);
    expect(t.spec).toBeUndefined();
    expect(t.metadata).toMatchObject({ namespace: 'ns', type: 'Things.test.dev', id: '', version: 0 });
    expect(Object.isFrozen(t) && Object.isFrozen(t.metadata)).toBe(true);
  });

  it('builds an id tombstone; a resource is no tombstone', () => {
    expect(tombstone(ptr).metadata.id).toBe('a');
    expect(isTombstone(newResource(ptr, {}))).toBe(false);
  });

  it('extracts pointers and kinds without extra fields', () => {
    const r = newResource({ ...ptr, version: 3 }, {});
    expect(pointerOf(r.metadata)).toStrictEqual(Object.freeze({ ...ptr }));
    expect(kindOf(r.metadata)).toStrictEqual(Object.freeze({ namespace: 'ns', type: 'Things.test.dev' }));
    expect(Object.isFrozen(pointerOf(r.metadata))).toBe(true);
  });

  it('formats pointers as ns/type/id', () => {
    expect(formatPointer(ptr)).toBe('ns/Things.test.dev/a');
    expect(formatPointer({ namespace: 'ns', type: 'T.x.y' })).toBe('ns/T.x.y');
  });
});
