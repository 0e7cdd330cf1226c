import { RE2JS } from 're2js';
import { InvalidIdQueryError } from './errors.ts';
import type { IdQuery } from './label-query.ts';

/** The longest pattern accepted, in UTF-16 code units (a RegExp: its source). */
export const MAX_ID_QUERY_LENGTH = 1024;

/**
 * The largest compiled program accepted. Matching costs up to (id length × program size) steps, and a
 * short pattern can expand a lot (`\pL{1000}` is 1,000 instructions), so the length bound alone is not enough.
 */
export const MAX_ID_QUERY_INSTRUCTIONS = 4096;

/** RE2JS#re2().prog.numInst(), declared by re2js; undefined if a future version hides it (the length bound still holds). */
function programSize(re: RE2JS): number | undefined {
  const prog: unknown = (re.re2() as { prog?: unknown }).prog;
  const numInst: unknown = (prog as { numInst?: unknown } | undefined)?.numInst;
  return typeof numInst === 'function' ? (numInst as () => number).call(prog) : undefined;
}

/**
 * The id test of a query, or `undefined` for no query. Patterns are RE2 syntax, matched in linear time
 * by re2js (the engine Go COSI uses, so no pattern can make a match backtrack); the JS escapes RE2 can
 * express (`\uXXXX`, `\u{…}`, `\cX`, `(?<name>…)`, `[^]`) are translated first. A RegExp contributes its
 * source and its i/m/s flags; g/y are dropped, so `test` keeps no state between ids. Unanchored.
 * {@link InvalidIdQueryError} (a TypeError) for a bad type, bad syntax, or a pattern over the limits.
 */
export function compileIdQuery(q?: IdQuery): ((id: string) => boolean) | undefined {
  if (q === undefined) return undefined;
  const regexp: unknown = (q as { regexp?: unknown } | null)?.regexp;
  const source = regexp instanceof RegExp ? regexp.source : regexp;
  if (typeof source !== 'string') throw new InvalidIdQueryError('type', 'idQuery.regexp must be a RegExp or a string');
  if (source.length > MAX_ID_QUERY_LENGTH) {
    throw new InvalidIdQueryError(
      'length',
      `idQuery: the regular expression is ${source.length} characters long; at most ${MAX_ID_QUERY_LENGTH} characters are allowed (MAX_ID_QUERY_LENGTH)`,
      MAX_ID_QUERY_LENGTH,
    );
  }
  const shown = JSON.stringify(source.length > 64 ? `${source.slice(0, 64)}…` : source);
  let re: RE2JS;
  try {
    re = RE2JS.compile(RE2JS.translateRegExp(regexp as string | RegExp));
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new InvalidIdQueryError(
      'syntax',
      `idQuery: invalid regular expression ${shown} (RE2 syntax; no backreferences or lookaround): ${why}`,
      undefined,
      { cause: e },
    );
  }
  const size = programSize(re);
  if (size !== undefined && size > MAX_ID_QUERY_INSTRUCTIONS) {
    throw new InvalidIdQueryError(
      'size',
      `idQuery: the regular expression ${shown} compiles to ${size} instructions; at most ${MAX_ID_QUERY_INSTRUCTIONS} instructions are allowed (MAX_ID_QUERY_INSTRUCTIONS)`,
      MAX_ID_QUERY_INSTRUCTIONS,
    );
  }
  return (id) => re.test(id);
}

/** Unanchored RE2 match of the id; no query matches every id. */
export function matchesId(id: string, q?: IdQuery): boolean {
  return compileIdQuery(q)?.(id) ?? true;
}
