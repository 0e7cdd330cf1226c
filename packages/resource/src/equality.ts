import type { Labels, Resource, Tombstone } from './metadata.ts';
import { MAX_SPEC_DEPTH, isPlainObject, tooDeep } from './plain-data.ts';

/**
 * Structural deep equality of plain data: arrays by element, objects by key set (keys holding
 * `undefined` count as absent, as in JSON), Dates by time, NaN equals NaN. Other objects by identity.
 * SpecTooDeepError when both sides nest deeper than MAX_SPEC_DEPTH along a path where they agree.
 */
export function specEquals(a: unknown, b: unknown): boolean {
  return equalAt(a, b, 0);
}

function equalAt(a: unknown, b: unknown, depth: number): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
  }
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && Object.is(a.getTime(), b.getTime());
  }
  if (depth >= MAX_SPEC_DEPTH) throw tooDeep('compared value', []);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equalAt(a[i], b[i], depth + 1)) return false;
    return true;
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const ak = definedKeys(a);
  const bk = definedKeys(b);
  if (ak.length !== bk.length) return false;
  for (const k of ak) {
    if (!Object.hasOwn(b, k) || !equalAt(a[k], b[k], depth + 1)) return false;
  }
  return true;
}

function definedKeys(o: Record<string, unknown>): string[] {
  return Object.keys(o).filter((k) => o[k] !== undefined);
}

/** Equal string maps, key order ignored. */
export function labelsEqual(a: Labels, b: Labels): boolean {
  const ak = Object.keys(a);
  if (ak.length !== Object.keys(b).length) return false;
  return ak.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/** Equal as sets: order ignored (finalizers are ordered sets, but order carries no meaning for equality). */
function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

/**
 * specs/state.md §1.3: all metadata except `created`/`updated` (finalizers as sets), and the spec by
 * `specEq` (a type's `equals`), else structural deep equality.
 */
export function resourceEquals(
  a: Resource<unknown> | Tombstone,
  b: Resource<unknown> | Tombstone,
  specEq: (a: never, b: never) => boolean = specEquals,
): boolean {
  const x = a.metadata;
  const y = b.metadata;
  if (
    x.namespace !== y.namespace ||
    x.type !== y.type ||
    x.id !== y.id ||
    x.version !== y.version ||
    x.owner !== y.owner ||
    x.phase !== y.phase ||
    !sameSet(x.finalizers, y.finalizers) ||
    !labelsEqual(x.labels, y.labels) ||
    !labelsEqual(x.annotations, y.annotations)
  ) {
    return false;
  }
  if (a.spec === undefined || b.spec === undefined) return a.spec === b.spec;
  return (specEq as (a: unknown, b: unknown) => boolean)(a.spec, b.spec);
}
