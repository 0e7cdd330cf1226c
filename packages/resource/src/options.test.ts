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

describe('resource options', () => {
  const caught = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (e) {
      return e;
    }
    return undefined;
  };

  it('defineResourceType, its print columns, and create() refuse unknown options', async () => {
    const { defineResourceType } = await import('./resource-type.ts');
    expect(caught(() => defineResourceType({ type: 'Things.test.cosi.dev', defaultNamespace: 'x', alias: ['t'] } as never))).toMatchObject({
      option: 'alias',
      suggestion: 'aliases',
      message: expect.stringMatching(/^resource type Things\.test\.cosi\.dev: unknown option "alias"/) as unknown,
    });
    expect(
      caught(() => defineResourceType({ type: 'Things.test.cosi.dev', defaultNamespace: 'x', printColumns: [{ name: 'N', jsonpath: '{.n}' }] } as never)),
    ).toMatchObject({ option: 'jsonpath', suggestion: 'jsonPath' });
    const Things = defineResourceType<{ n: number }>({ type: 'Things.test.cosi.dev', defaultNamespace: 'x' });
    const e = caught(() => Things.create('a', { n: 1 }, { label: { a: 'b' } } as never));
    expect(isUnknownOption(e)).toBe(true);
    expect(e).toMatchObject({ option: 'label', suggestion: 'labels' });
    expect((e as Error).message).toMatch(/^resource x\/Things\.test\.cosi\.dev\/a: unknown option "label"/);
    expect(Things.create('a', { n: 1 }, { labels: { a: 'b' }, namespace: 'x' }).metadata.labels).toEqual({ a: 'b' });
  });
});
