import { describe, expect, it } from 'vitest';
import { label } from './label.ts';
import { matchesLabelTerm, matchesLabels, validateLabelQueries, validateLabelTerm, type LabelTerm } from './label-query.ts';

const present = { k: 'b', n: '10kg', s: 'abc', bad: 'ten' };
const absent = {};

describe('matchesLabelTerm: every row of the specs/state.md §3.3 table', () => {
  // [row, labels, term, plain, inverted]
  const rows: [string, Record<string, string>, LabelTerm, boolean, boolean][] = [
    ['exists, key present', present, label.exists('k'), true, false],
    ['exists, key absent', absent, label.exists('k'), false, true],
    ['equal, key absent', absent, label.equal('k', 'b'), false, true],
    ['in, key absent', absent, label.in('k', ['a', 'b']), false, true],
    ['equal, present and ===', present, label.equal('k', 'b'), true, false],
    ['equal, present and !==', present, label.equal('k', 'c'), false, true],
    ['in, present and member', present, label.in('k', ['a', 'b']), true, false],
    ['in, present and not member', present, label.in('k', ['a', 'c']), false, true],
    ['lt, present, string <', present, label.lt('s', 'abd'), true, false],
    ['lt, present, string not <', present, label.lt('s', 'abc'), false, true],
    ['lte, present, string <=', present, label.lte('s', 'abc'), true, false],
    ['lte, present, string not <=', present, label.lte('s', 'abb'), false, true],
    ['lt compares strings, not numbers', { v: '9' }, label.lt('v', '10'), false, true],
    ['ltNumeric, present, 10kg < 12000', present, label.ltNumeric('n', '12000'), true, false],
    ['ltNumeric, present, 10kg not < 10000', present, label.ltNumeric('n', '10000'), false, true],
    ['lteNumeric, present, 10kg <= 20000', present, label.lteNumeric('n', '20000'), true, false],
    ['lteNumeric, present, 10kg <= 10k', present, label.lteNumeric('n', '10k'), true, false],
    ['lteNumeric, present, 10kg not <= 9999', present, label.lteNumeric('n', '9999'), false, true],
    ['ltNumeric, 1Ki = 1024', { n: '1Ki' }, label.ltNumeric('n', '1025'), true, false],
    ['lt, key absent', absent, label.lt('s', 'z'), false, false],
    ['lte, key absent', absent, label.lte('s', 'z'), false, false],
    ['ltNumeric, key absent', absent, label.ltNumeric('n', '1'), false, false],
    ['lteNumeric, key absent', absent, label.lteNumeric('n', '1'), false, false],
    ['ltNumeric, value unparsable', present, label.ltNumeric('bad', '100'), false, false],
    ['lteNumeric, value unparsable', present, label.lteNumeric('bad', '100'), false, false],
  ];
  it.each(rows)('%s', (_row, labels, term, plain, inverted) => {
    expect(matchesLabelTerm(labels, term)).toBe(plain);
    expect(matchesLabelTerm(labels, label.not(term))).toBe(inverted);
  });
});

describe('matchesLabels: terms ANDed, queries ORed', () => {
  const labels = { app: 'web', tier: 'front' };
  it('matches everything with no query, [] or an empty query', () => {
    expect(matchesLabels(labels)).toBe(true);
    expect(matchesLabels(labels, [])).toBe(true);
    expect(matchesLabels(labels, [[]])).toBe(true);
  });
  it('ANDs the terms of a query', () => {
    expect(matchesLabels(labels, [[label.equal('app', 'web'), label.equal('tier', 'front')]])).toBe(true);
    expect(matchesLabels(labels, [[label.equal('app', 'web'), label.equal('tier', 'back')]])).toBe(false);
  });
  it('ORs the queries', () => {
    expect(matchesLabels(labels, [[label.equal('app', 'db')], [label.equal('tier', 'front')]])).toBe(true);
    expect(matchesLabels(labels, [[label.equal('app', 'db')], [label.exists('zone')]])).toBe(false);
  });
});

describe('label builders', () => {
  it('build frozen terms; not() flips invert', () => {
    const t = label.in('k', ['a']);
    expect(t).toEqual({ key: 'k', op: 'in', values: ['a'] });
    expect(Object.isFrozen(t)).toBe(true);
    expect(label.not(t).invert).toBe(true);
    expect(label.not(label.not(t)).invert).toBe(false);
    expect(label.exists('k')).toEqual({ key: 'k', op: 'exists' });
  });

  it('validate as they build', () => {
    expect(() => label.ltNumeric('k', 'lots')).toThrow(TypeError);
    expect(() => label.in('k', [])).toThrow(TypeError);
  });
});

describe('validateLabelTerm (specs/state.md §3.1)', () => {
  it.each([
    ['exists with a value', { key: 'k', op: 'exists', values: ['x'] }, /"k": 'exists' takes no values/],
    ['in without values', { key: 'k', op: 'in', values: [] }, /"k": 'in' needs at least one value/],
    ['in with values missing', { key: 'k', op: 'in' }, /'in' needs at least one value/],
    ['equal with two values', { key: 'k', op: 'equal', values: ['a', 'b'] }, /'equal' takes exactly one value, got 2/],
    ['lt without value', { key: 'k', op: 'lt' }, /'lt' takes exactly one value, got 0/],
    ['ltNumeric unparsable', { key: 'k', op: 'ltNumeric', values: ['many'] }, /"k": 'ltNumeric' needs a number/],
    ['lteNumeric unparsable', { key: 'k', op: 'lteNumeric', values: ['1.5'] }, /'lteNumeric' needs a number/],
    ['unknown op', { key: 'k', op: 'like', values: ['a'] }, /unknown op "like"/],
    ['empty key', { key: '', op: 'exists' }, /key must be a non-empty string/],
    ['non-string value', { key: 'k', op: 'equal', values: [1] }, /values must be an array of strings/],
    ['non-boolean invert', { key: 'k', op: 'exists', invert: 'yes' }, /invert must be a boolean/],
  ])('rejects %s', (_why, term, message) => {
    expect(() => validateLabelTerm(term as unknown as LabelTerm)).toThrow(TypeError);
    expect(() => validateLabelTerm(term as unknown as LabelTerm)).toThrow(message);
  });

  it('accepts well-formed terms and query lists', () => {
    expect(() => validateLabelTerm({ key: 'k', op: 'lteNumeric', values: ['10 Ki'] })).not.toThrow();
    expect(() => validateLabelQueries(undefined)).not.toThrow();
    expect(() => validateLabelQueries([[label.exists('a')], []])).not.toThrow();
  });

  it('rejects a malformed term anywhere in the queries', () => {
    const bad = { key: 'k', op: 'in', values: [] } as LabelTerm;
    expect(() => validateLabelQueries([[label.exists('a')], [bad]])).toThrow(/'in' needs at least one value/);
    expect(() => validateLabelQueries([label.exists('a')] as unknown as LabelTerm[][])).toThrow(TypeError);
  });
});
