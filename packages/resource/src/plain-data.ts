/**
 * Plain data: primitives, `Date`, arrays and objects whose prototype is `Object.prototype` or `null`.
 * Specs are plain data so that they can be frozen, copied, compared and encoded without surprises.
 */
import { SpecTooDeepError } from './errors.ts';

/**
 * The deepest nesting of arrays and objects a spec may have (the top-level value counts as one).
 * Every walk over a spec recurses (here, in equality, in immer, in the YAML library, which runs out
 * of stack near 600 levels): the bound turns a hostile 100,000-level spec into a TypeError instead
 * of a RangeError, with room to spare on small stacks. Real specs nest a handful of levels.
 */
export const MAX_SPEC_DEPTH = 100;

/** Shown path segments of a too-deep value: enough to find it, not 100 of them. */
const SHOWN_SEGMENTS = 4;

/** The typed error for a container found at `path` (its depth is path.length + 1). */
export function tooDeep(what: string, path: readonly (string | number)[]): SpecTooDeepError {
  const shown = describePath(what, path.slice(0, SHOWN_SEGMENTS)) + (path.length > SHOWN_SEGMENTS ? '…' : '');
  return new SpecTooDeepError(shown, MAX_SPEC_DEPTH);
}

type Node = { readonly kind: 'leaf' } | { readonly kind: 'date'; readonly value: Date }
  | { readonly kind: 'array'; readonly value: readonly unknown[] }
  | { readonly kind: 'object'; readonly value: Readonly<Record<string, unknown>> };

const leaf: Node = { kind: 'leaf' };

function describePath(what: string, path: readonly (string | number)[]): string {
  let out = what;
  for (const key of path) {
    out += typeof key === 'number' ? `[${key}]` : /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  }
  return out;
}

function notPlain(what: string, path: readonly (string | number)[], found: string): TypeError {
  return new TypeError(
    `${describePath(what, path)} is ${found}; only plain data (primitives, Date, arrays, plain objects) is allowed`,
  );
}

function classify(value: unknown, what: string, path: readonly (string | number)[]): Node {
  switch (typeof value) {
    case 'function':
      return fail(notPlain(what, path, 'a function'));
    case 'symbol':
      return fail(notPlain(what, path, 'a symbol'));
    case 'bigint':
      // Not JSON: a BigInt could be stored but never encoded, sent or compared with the codecs' output.
      return fail(notPlain(what, path, 'a BigInt'));
    case 'object':
      break;
    default:
      return leaf;
  }
  if (value === null) return leaf;
  if (value instanceof Date) return { kind: 'date', value };
  if (ArrayBuffer.isView(value)) return fail(notPlain(what, path, 'a typed array'));
  const proto: unknown = Object.getPrototypeOf(value);
  if (Array.isArray(value) && proto === Array.prototype) return { kind: 'array', value };
  if (proto !== Object.prototype && proto !== null) {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return fail(notPlain(what, path, `an instance of ${typeof name === 'string' && name !== '' ? name : 'a class'}`));
  }
  if (Object.getOwnPropertySymbols(value).length > 0) return fail(notPlain(what, path, 'an object with symbol keys'));
  return { kind: 'object', value: value as Readonly<Record<string, unknown>> };
}

function fail(e: TypeError): never {
  throw e;
}

/** Sets `key` as an own data property, so that a `__proto__` key stays data instead of a prototype. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** One walker for copy and freeze, so both accept and reject exactly the same values. */
function walk(
  value: unknown,
  what: string,
  path: (string | number)[],
  ancestors: Set<object>,
  copy: boolean,
  frozen: object[],
): unknown {
  const node = classify(value, what, path);
  if (node.kind === 'leaf') return value;
  if (node.kind === 'date') {
    const out = copy ? new Date(node.value.getTime()) : node.value;
    frozen.push(out);
    return out;
  }
  if (path.length >= MAX_SPEC_DEPTH) throw tooDeep(what, path);
  if (ancestors.has(node.value)) throw notPlain(what, path, 'a cycle (a value containing itself)');
  ancestors.add(node.value);
  let out: unknown[] | Record<string, unknown>;
  if (node.kind === 'array') {
    const arr: unknown[] = copy ? new Array<unknown>(node.value.length) : (node.value as unknown[]);
    for (let i = 0; i < node.value.length; i++) {
      path.push(i);
      const v = walk(node.value[i], what, path, ancestors, copy, frozen);
      if (copy) arr[i] = v;
      path.pop();
    }
    out = arr;
  } else {
    const obj: Record<string, unknown> = copy ? {} : (node.value as Record<string, unknown>);
    for (const key of Object.keys(node.value)) {
      path.push(key);
      const v = walk(node.value[key], what, path, ancestors, copy, frozen);
      if (copy) setOwn(obj, key, v);
      path.pop();
    }
    out = obj;
  }
  ancestors.delete(node.value);
  frozen.push(out);
  return out;
}

/**
 * Freezes plain data in place, all the way down, and returns it. Validates everything before freezing
 * anything, so a rejected value is left untouched. `what` names the value in the TypeError.
 */
export function deepFreeze<T>(value: T, what = 'value'): T {
  const nodes: object[] = [];
  walk(value, what, [], new Set(), false, nodes);
  for (const n of nodes) Object.freeze(n);
  return value;
}

/** A deep copy of plain data (a tree: shared references are copied apart). TypeError as `deepFreeze`. */
export function cloneSpec<T>(value: T, what = 'value'): T {
  return walk(value, what, [], new Set(), true, []) as T;
}

/** A deeply frozen deep copy: the input is never touched. */
export function frozenCopy<T>(value: T, what = 'value'): T {
  const nodes: object[] = [];
  const out = walk(value, what, [], new Set(), true, nodes) as T;
  for (const n of nodes) Object.freeze(n);
  return out;
}

/** True for an object whose prototype is `Object.prototype` or `null`. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * True when `value` is plain data and already deeply frozen, so that a store may share it as it is.
 * Allocation-free; `false` (never a throw) for anything else,
 * including very deep or cyclic values: callers then take `frozenCopy`, which copies or names the fault.
 */
export function isFrozenPlainData(value: unknown, depth = 0): boolean {
  switch (typeof value) {
    case 'object':
      break;
    case 'function':
    case 'symbol':
    case 'bigint':
      return false;
    default:
      return true;
  }
  if (value === null) return true;
  if (depth > 32 || !Object.isFrozen(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Array.prototype && Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isFrozenPlainData(value[i], depth + 1)) return false;
    return true;
  }
  if (proto !== Object.prototype && proto !== null) return value instanceof Date;
  const obj = value as Record<string, unknown>;
  for (const key in obj) if (!isFrozenPlainData(obj[key], depth + 1)) return false;
  // Symbol keys are not probed: the probe allocates and costs as much as the rest of a small spec,
  // and a frozen object's symbol keys are invisible to the codecs and to equality anyway.
  return true;
}
