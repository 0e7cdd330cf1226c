import { describe, it, expect } from 'vitest';
import { Ints } from './conformance/types.ts';
import { inputMatches } from './input-match.ts';
import type { NormalizedInput } from './dependency-database.ts';

const r = (id: string, phase: 'running' | 'tearingDown', finalizers: string[] = []) =>
  Ints.create(id, { value: 0 }, { phase, finalizers });

describe('inputMatches', () => {
  const weak: NormalizedInput = { namespace: 'ints', type: Ints.type, kind: 'weak' };
  const scoped: NormalizedInput = { ...weak, id: 'a' };
  const ready: NormalizedInput = { ...weak, kind: 'destroyReady' };

  it('wakes an id-scoped input only for its id', () => {
    expect(inputMatches(scoped, { type: 'created', resource: r('a', 'running') })).toBe(true);
    expect(inputMatches(scoped, { type: 'created', resource: r('b', 'running') })).toBe(false);
    expect(inputMatches(weak, { type: 'created', resource: r('b', 'running') })).toBe(true);
  });

  it('wakes a destroyReady input only for destroy-ready resources and destroyed events', () => {
    expect(inputMatches(ready, { type: 'created', resource: r('a', 'running') })).toBe(false);
    expect(inputMatches(ready, { type: 'updated', resource: r('a', 'tearingDown', ['f']), old: r('a', 'running') })).toBe(false);
    expect(inputMatches(ready, { type: 'updated', resource: r('a', 'tearingDown'), old: r('a', 'tearingDown', ['f']) })).toBe(true);
    expect(inputMatches(ready, { type: 'destroyed', resource: r('a', 'running') })).toBe(true);
  });
});
