import { describe, expect, it } from 'vitest';
import { compileIdQuery, matchesId } from './id-query.ts';

describe('ID queries (specs/state.md §3.5)', () => {
  it('matches unanchored, strings compiled with the u flag', () => {
    expect(matchesId('idquery/a3', { regexp: '^idquery/.+[2-4]$' })).toBe(true);
    expect(matchesId('idquery/a5', { regexp: '^idquery/.+[2-4]$' })).toBe(false);
    expect(matchesId('prefix-node-1', { regexp: 'node' })).toBe(true);
    expect(matchesId('😀x', { regexp: '^.x$' })).toBe(true);
  });

  it('matches everything without a query', () => {
    expect(compileIdQuery(undefined)).toBeUndefined();
    expect(matchesId('anything')).toBe(true);
  });

  it('accepts RegExp objects and ignores their g/y state', () => {
    const test = compileIdQuery({ regexp: /a/g });
    expect([test?.('a'), test?.('a'), test?.('a')]).toEqual([true, true, true]);
    expect(matchesId('A', { regexp: /a/i })).toBe(true);
  });

  it('rejects an invalid pattern with a TypeError naming it', () => {
    expect(() => compileIdQuery({ regexp: '(' })).toThrow(TypeError);
    expect(() => compileIdQuery({ regexp: '(' })).toThrow(/invalid regular expression "\("/);
    expect(() => compileIdQuery({ regexp: 5 as unknown as string })).toThrow(TypeError);
  });
});
