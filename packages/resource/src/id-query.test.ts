import { describe, expect, it } from 'vitest';
import { MAX_ID_QUERY_INSTRUCTIONS, MAX_ID_QUERY_LENGTH, compileIdQuery, matchesId } from './id-query.ts';
import { isInvalidIdQuery } from './errors.ts';

/** The error compileIdQuery throws for `regexp`, or undefined when it compiles. */
function errorOf(regexp: unknown): unknown {
  try {
    compileIdQuery({ regexp: regexp as string });
    return undefined;
  } catch (e) {
    return e;
  }
}

describe('ID queries (specs/state.md §3.5)', () => {
  it('matches unanchored', () => {
    expect(matchesId('idquery/a3', { regexp: '^idquery/.+[2-4]$' })).toBe(true);
    expect(matchesId('idquery/a5', { regexp: '^idquery/.+[2-4]$' })).toBe(false);
    expect(matchesId('prefix-node-1', { regexp: 'node' })).toBe(true);
    expect(matchesId('😀x', { regexp: '^.x$' })).toBe(true);
  });

  it('matches everything without a query', () => {
    expect(compileIdQuery(undefined)).toBeUndefined();
    expect(matchesId('anything')).toBe(true);
  });

  it('accepts RegExp objects: i, m and s flags apply, g/y keep no state between ids', () => {
    const test = compileIdQuery({ regexp: /a/g });
    expect([test?.('a'), test?.('a'), test?.('a')]).toEqual([true, true, true]);
    expect(matchesId('A', { regexp: /a/i })).toBe(true);
    expect(matchesId('a\nb', { regexp: /^b$/m })).toBe(true);
    expect(matchesId('a\nb', { regexp: /a.b/s })).toBe(true);
    expect(matchesId('a\nb', { regexp: /a.b/ })).toBe(false);
  });

  it('rejects an invalid pattern with a typed TypeError naming it', () => {
    const e = errorOf('(');
    expect(e).toBeInstanceOf(TypeError);
    expect(isInvalidIdQuery(e)).toBe(true);
    expect((e as Error).message).toMatch(/invalid regular expression "\("/);
    expect(errorOf(5)).toBeInstanceOf(TypeError);
    expect(isInvalidIdQuery(errorOf(5))).toBe(true);
  });

  it('runs in linear time: a catastrophic backtracking pattern over long ids answers at once', () => {
    // With a backtracking engine each of these ids costs about 2^28 steps (minutes in all).
    const ids = Array.from({ length: 5 }, (_, i) => `${'a'.repeat(28 + i)}!`);
    const test = compileIdQuery({ regexp: '^(a+)+$' })!;
    expect(ids.map(test)).toEqual([false, false, false, false, false]);
    expect(test('aaaa')).toBe(true);
    expect(matchesId(`${'x'.repeat(30)}y`, { regexp: /^(x+x+)+z$/ })).toBe(false);
  }, 20_000);

  it('bounds the pattern length and the compiled size, naming the limit', () => {
    expect(errorOf('a'.repeat(MAX_ID_QUERY_LENGTH))).toBeUndefined();
    const long = errorOf('a'.repeat(MAX_ID_QUERY_LENGTH + 1));
    expect(isInvalidIdQuery(long)).toBe(true);
    expect(long).toMatchObject({ rule: 'length', limit: MAX_ID_QUERY_LENGTH });
    expect((long as Error).message).toContain(`at most ${MAX_ID_QUERY_LENGTH} characters`);
    expect(errorOf(new RegExp('b'.repeat(MAX_ID_QUERY_LENGTH + 1)))).toMatchObject({ rule: 'length' });

    // Short, but it compiles to a program of about 20,000 instructions: each id would cost that much per character.
    const big = errorOf('\\pL{1000}'.repeat(20));
    expect(isInvalidIdQuery(big)).toBe(true);
    expect(big).toMatchObject({ rule: 'size', limit: MAX_ID_QUERY_INSTRUCTIONS });
    expect((big as Error).message).toContain(`at most ${MAX_ID_QUERY_INSTRUCTIONS} instructions`);
    // A repeat count above RE2's own 1000 is a syntax error, as in Go.
    expect(errorOf('a{1001}')).toMatchObject({ rule: 'syntax' });
  });

  it('speaks RE2 syntax (as Go COSI does) and the JS escapes RE2 can express', () => {
    expect(matchesId('ABC', { regexp: '(?i)abc' })).toBe(true);
    expect(matchesId('n42', { regexp: '^n[[:digit:]]+$' })).toBe(true);
    expect(matchesId('é', { regexp: '^\\x{e9}$' })).toBe(true);
    expect(matchesId('é', { regexp: '^\\u00e9$' })).toBe(true);
    expect(matchesId('node-a', { regexp: '^(?P<p>node)-(?<q>a)$' })).toBe(true);
    expect(matchesId('a/b', { regexp: 'a\\/b' })).toBe(true);
    expect(matchesId('Ωmega', { regexp: '^\\p{Greek}' })).toBe(true);
    expect(matchesId('line\nnext', { regexp: '\\Aline' })).toBe(true);
  });

  it('refuses JS-only constructs (backreferences, lookaround) as syntax errors that say so', () => {
    for (const p of ['(a)\\1', 'a(?=b)', 'a(?!b)', '(?<=a)b']) {
      const e = errorOf(p);
      expect(isInvalidIdQuery(e), p).toBe(true);
      expect(e).toMatchObject({ rule: 'syntax' });
      expect((e as Error).message).toContain('RE2 syntax');
    }
  });
});
