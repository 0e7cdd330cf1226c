/** Percentile of an ascending-sorted sample (nearest-rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('run benchmarks with node --expose-gc (npm run bench does)');
  g();
  g();
}

/** Best of n runs: the least disturbed measurement on a shared machine. */
export async function bestOf<T extends number>(n: number, f: () => Promise<T> | T, better: (a: number, b: number) => boolean = (a, b) => a > b): Promise<number> {
  let best: number | undefined;
  for (let i = 0; i < n; i++) {
    const v = await f();
    if (best === undefined || better(v, best)) best = v;
  }
  return best!;
}
