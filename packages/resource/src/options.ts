import { UnknownOptionError } from './errors.ts';

/** Edit distance (insert, delete, substitute one character; a swap of neighbours counts as one). */
function distance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * The known name closest to `name` (case-insensitive edit distance; ties: the first listed), or
 * undefined when none is within `maxDistance` edits (a far-off "suggestion" only misleads).
 */
export function closestName(name: string, known: Iterable<string>, maxDistance = Infinity): string | undefined {
  let best: string | undefined;
  let bestDistance = maxDistance + 1;
  const lower = name.toLowerCase();
  for (const k of known) {
    const d = distance(lower, k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * The names an options object may carry. Build one per options type, once, at module level: the
 * check runs on every call and costs a `for…in` over the given keys and a Set lookup each.
 */
export type KnownOptions = ReadonlySet<string>;

export const knownOptions = (...names: readonly string[]): KnownOptions => new Set(names);

/**
 * UnknownOptionError (a TypeError) for the first own key of `opts` that `known` does not list and
 * whose value is not `undefined`, naming it and the closest known option. A misspelled option must
 * not be silently ignored (`bootstrapContent: true` would give a watch without its bootstrap).
 * `undefined` opts pass; anything else that is not an object is a TypeError too. `where` names the call
 * (a function when building the name costs: it is called only to throw).
 */
export function checkOptions(where: string | (() => string), opts: unknown, known: KnownOptions): void {
  if (opts === undefined) return;
  if (typeof opts !== 'object' || opts === null) {
    throw new TypeError(`${name(where)}: options must be an object, got ${opts === null ? 'null' : typeof opts}`);
  }
  for (const key in opts) {
    if (!known.has(key) && Object.hasOwn(opts, key) && (opts as Record<string, unknown>)[key] !== undefined) {
      throw new UnknownOptionError(name(where), key, [...known], closestName(key, known));
    }
  }
}

const name = (where: string | (() => string)): string => (typeof where === 'string' ? where : where());
