import { describe, expect, it } from 'vitest';
import { isUnknownOption } from './errors.ts';
import { checkOptions, closestName, knownOptions } from './options.ts';

const watchKindOptions = knownOptions('bootstrapContents', 'bootstrapBookmark', 'tailEvents', 'startFromBookmark', 'labels', 'idQuery', 'signal');

describe('checkOptions', () => {
  it('names the unknown option and the closest known one', () => {
    let caught: unknown;
    try {
      checkOptions('watchKind of ns/Things', { bootstrapContent: true }, watchKindOptions);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(TypeError);
    expect(isUnknownOption(caught)).toBe(true);
    expect(caught).toMatchObject({ option: 'bootstrapContent', suggestion: 'bootstrapContents', where: 'watchKind of ns/Things' });
    expect((caught as Error).message).toBe(
      'watchKind of ns/Things: unknown option "bootstrapContent" (did you mean \'bootstrapContents\'?); known options: ' +
        'bootstrapContents, bootstrapBookmark, tailEvents, startFromBookmark, labels, idQuery, signal',
    );
  });

  it('passes known options, undefined options and undefined-valued keys; refuses non-objects', () => {
    expect(() => checkOptions('x', { labels: [], signal: undefined }, watchKindOptions)).not.toThrow();
    expect(() => checkOptions('x', undefined, watchKindOptions)).not.toThrow();
    expect(() => checkOptions('x', { other: undefined }, watchKindOptions)).not.toThrow();
    expect(() => checkOptions('x', 5, watchKindOptions)).toThrow('x: options must be an object, got number');
    expect(() => checkOptions('x', null, watchKindOptions)).toThrow(TypeError);
    expect(() => checkOptions('none', { a: 1 }, knownOptions())).toThrow('unknown option "a"; known options: none');
  });

  it('suggests by edit distance, case-insensitively, with swapped letters counting once', () => {
    const known = ['eventTypes', 'phases', 'finalizersEmpty', 'predicate', 'signal'];
    expect(closestName('condition', known)).toBe('predicate');
    expect(closestName('finalizerEmpty', known)).toBe('finalizersEmpty');
    expect(closestName('PHASES', known)).toBe('phases');
    expect(closestName('sigal', known)).toBe('signal');
    expect(closestName('sgianl', known)).toBe('signal');
    expect(closestName('x', [])).toBeUndefined();
  });
});
