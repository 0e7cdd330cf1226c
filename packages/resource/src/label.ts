import { validateLabelTerm, type LabelOp, type LabelTerm } from './label-query.ts';

function term(key: string, op: LabelOp, values?: readonly string[]): LabelTerm {
  const t: LabelTerm = values === undefined ? { key, op } : { key, op, values: Object.freeze([...values]) };
  validateLabelTerm(t);
  return Object.freeze(t);
}

/** Builders of validated, frozen label terms (specs/state.md §3). */
export const label = Object.freeze({
  exists: (key: string): LabelTerm => term(key, 'exists'),
  equal: (key: string, value: string): LabelTerm => term(key, 'equal', [value]),
  in: (key: string, values: readonly string[]): LabelTerm => term(key, 'in', values),
  lt: (key: string, value: string): LabelTerm => term(key, 'lt', [value]),
  lte: (key: string, value: string): LabelTerm => term(key, 'lte', [value]),
  ltNumeric: (key: string, value: string): LabelTerm => term(key, 'ltNumeric', [value]),
  lteNumeric: (key: string, value: string): LabelTerm => term(key, 'lteNumeric', [value]),
  /** The same term with `invert` flipped. */
  not: (t: LabelTerm): LabelTerm => Object.freeze({ ...t, invert: t.invert !== true }),
});
