import type { IdQuery } from './label-query.ts';

/**
 * The id test of a query, or `undefined` for no query. Strings compile as `new RegExp(s, 'u')`
 * (TypeError when invalid); `g`/`y` flags are dropped so that `test` keeps no state between ids.
 */
export function compileIdQuery(q?: IdQuery): ((id: string) => boolean) | undefined {
  if (q === undefined) return undefined;
  let re: RegExp;
  if (q.regexp instanceof RegExp) {
    re = /[gy]/.test(q.regexp.flags) ? new RegExp(q.regexp.source, q.regexp.flags.replace(/[gy]/g, '')) : q.regexp;
  } else if (typeof q.regexp === 'string') {
    try {
      re = new RegExp(q.regexp, 'u');
    } catch (e) {
      throw new TypeError(`idQuery: invalid regular expression ${JSON.stringify(q.regexp)}`, { cause: e });
    }
  } else {
    throw new TypeError('idQuery.regexp must be a RegExp or a string');
  }
  return (id) => re.test(id);
}

/** Unanchored `regexp.test(id)`; no query matches every id. */
export function matchesId(id: string, q?: IdQuery): boolean {
  return compileIdQuery(q)?.(id) ?? true;
}
