import type { Labels } from './metadata.ts';
import { parseLabelNumber } from './label-number.ts';

export type LabelOp = 'exists' | 'equal' | 'in' | 'lt' | 'lte' | 'ltNumeric' | 'lteNumeric';

/** One condition on one label. See specs/state.md §3 for the exact truth table. */
export interface LabelTerm {
  readonly key: string;
  readonly op: LabelOp;
  readonly values?: readonly string[];
  readonly invert?: boolean;
}

/** Terms ANDed together. A list of queries is ORed. */
export type LabelQuery = readonly LabelTerm[];

export interface IdQuery {
  /** RE2 syntax (a RegExp: its source and i/m/s flags), matched unanchored against the id in linear time. */
  readonly regexp: RegExp | string;
}

const ops: readonly LabelOp[] = ['exists', 'equal', 'in', 'lt', 'lte', 'ltNumeric', 'lteNumeric'];

/** Checks one term per specs/state.md §3.1; TypeError naming the key and the rule. */
export function validateLabelTerm(t: LabelTerm): void {
  if (typeof t !== 'object' || t === null) throw new TypeError('label term must be an object');
  if (typeof t.key !== 'string' || t.key === '') throw new TypeError('label term: key must be a non-empty string');
  const where = `label term on ${JSON.stringify(t.key)}`;
  if (!ops.includes(t.op)) throw new TypeError(`${where}: unknown op ${JSON.stringify(t.op)}`);
  if (t.invert !== undefined && typeof t.invert !== 'boolean') throw new TypeError(`${where}: invert must be a boolean`);
  const values: unknown = t.values ?? [];
  if (!Array.isArray(values) || !values.every((v) => typeof v === 'string')) {
    throw new TypeError(`${where}: values must be an array of strings`);
  }
  const n = values.length;
  if (t.op === 'exists' && n !== 0) throw new TypeError(`${where}: 'exists' takes no values, got ${n}`);
  if (t.op === 'in' && n < 1) throw new TypeError(`${where}: 'in' needs at least one value`);
  if (t.op !== 'exists' && t.op !== 'in' && n !== 1) throw new TypeError(`${where}: '${t.op}' takes exactly one value, got ${n}`);
  if ((t.op === 'ltNumeric' || t.op === 'lteNumeric') && parseLabelNumber(values[0] as string) === undefined) {
    throw new TypeError(`${where}: '${t.op}' needs a number, got ${JSON.stringify(values[0])}`);
  }
}

export function validateLabelQueries(qs: readonly LabelQuery[] | undefined): void {
  if (qs === undefined) return;
  if (!Array.isArray(qs)) throw new TypeError('labels must be an array of label queries');
  for (const q of qs) {
    if (!Array.isArray(q)) throw new TypeError('a label query must be an array of label terms');
    for (const t of q) validateLabelTerm(t);
  }
}

/** One term against a label map: the specs/state.md §3.3 table. */
export function matchesLabelTerm(labels: Labels, t: LabelTerm): boolean {
  const present = Object.hasOwn(labels, t.key);
  const value = present ? labels[t.key] : undefined;
  const invert = t.invert === true;
  const arg = t.values?.[0];
  switch (t.op) {
    case 'exists':
      return present !== invert;
    case 'equal':
      return value === undefined ? invert : (value === arg) !== invert;
    case 'in':
      return value === undefined ? invert : (t.values ?? []).includes(value) !== invert;
    case 'lt':
    case 'lte':
      // Ordering ops are false on an absent key even when inverted: "not less than" needs a value.
      if (value === undefined || arg === undefined) return false;
      return (t.op === 'lt' ? value < arg : value <= arg) !== invert;
    case 'ltNumeric':
    case 'lteNumeric': {
      const a = value === undefined ? undefined : parseLabelNumber(value);
      const b = arg === undefined ? undefined : parseLabelNumber(arg);
      if (a === undefined || b === undefined) return false;
      return (t.op === 'ltNumeric' ? a < b : a <= b) !== invert;
    }
  }
}

/** Terms ANDed, queries ORed; no queries, `[]` or an empty query match everything. */
export function matchesLabels(labels: Labels, qs?: readonly LabelQuery[]): boolean {
  if (qs === undefined || qs.length === 0) return true;
  return qs.some((q) => q.every((t) => matchesLabelTerm(labels, t)));
}
