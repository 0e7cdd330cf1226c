import { describe, expect, it } from 'vitest';
import { evaluateJsonPath, formatJsonPath, parseJsonPath } from './json-path.ts';

const spec = {
  a: { b: 'x', 'dotted.key': 1 },
  xs: [10, 20, 30],
  objs: [{ n: 'one' }, { n: 'two' }, { m: 'none' }],
  when: new Date('2024-01-01T00:00:00.000Z'),
  empty: [],
  nil: null,
};

describe('evaluateJsonPath', () => {
  it.each<[string, unknown[]]>([
    ['{.a.b}', ['x']],
    ['.a.b', ['x']],
    ['{$.a.b}', ['x']],
    ['{.xs[0]}', [10]],
    ['{.xs[-1]}', [30]],
    ['{.xs[:]}', [10, 20, 30]],
    ['{.xs[*]}', [10, 20, 30]],
    ['{.xs[1:]}', [20, 30]],
    ['{.xs[:2]}', [10, 20]],
    ['{.xs[1:2]}', [20]],
    ['{.objs[:].n}', ['one', 'two']],
    ["{.a['dotted.key']}", [1]],
    ['{.a.*}', ['x', 1]],
    ['{.nil}', [null]],
    ['{.empty[:]}', []],
    ['{.missing}', []],
    ['{.a.b.c}', []],
    ['{.xs[7]}', []],
    ['{.a[0]}', []],
  ])('%s', (path, expected) => {
    expect(evaluateJsonPath(spec, path)).toEqual(expected);
  });

  it('selects the whole value for {.}', () => {
    expect(evaluateJsonPath(spec, '{.}')).toEqual([spec]);
  });

  it.each(['{.a', '.a}', '{a}', '{.a[}', '{.a[x]}', '{..a}', '{.a b}', '{.xs[1:2:3]}'])('rejects %j with a TypeError', (path) => {
    expect(() => parseJsonPath(path)).toThrow(TypeError);
    expect(() => evaluateJsonPath(spec, path)).toThrow(/JSONPath/);
  });
});

describe('formatJsonPath', () => {
  it('joins results with commas like kubectl custom columns', () => {
    expect(formatJsonPath({ aliases: ['rd', 'rds'] }, '{.aliases[:]}')).toBe('rd,rds');
    expect(formatJsonPath(spec, '{.xs[0]}')).toBe('10');
    expect(formatJsonPath(spec, '{.objs[0]}')).toBe('{"n":"one"}');
    expect(formatJsonPath(spec, '{.when}')).toBe('2024-01-01T00:00:00.000Z');
    expect(formatJsonPath(spec, '{.nil}')).toBe('null');
  });

  it('is empty when nothing matches', () => {
    expect(formatJsonPath(spec, '{.missing}')).toBe('');
    expect(formatJsonPath(spec, '{.empty[:]}')).toBe('');
  });
});
