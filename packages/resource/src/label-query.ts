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
  /** Tested unanchored against the id; strings compile as `new RegExp(s, 'u')`. */
  readonly regexp: RegExp | string;
}
