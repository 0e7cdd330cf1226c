/** One benchmark's output: every measured figure, with the baseline measured in the same run. */
export interface BenchRow {
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  /** The same measurement on the bare-minimum baseline, in the same run and unit. */
  readonly baseline?: number;
  /** The target this figure is held to, in words (e.g. "≥ 40% of baseline"). */
  readonly target?: string;
  /** Whether the target holds; absent when the row has no target. */
  readonly pass?: boolean;
  readonly note?: string;
}

export interface BenchResult {
  readonly name: string;
  readonly rows: readonly BenchRow[];
}

export type Bench = () => Promise<BenchResult>;
