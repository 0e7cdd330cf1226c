import { frozenCopy, isFrozenPlainData, noFinalizers, noLabels } from '@cosi-ts/resource';
import type { Kind, Labels, Metadata, Phase, Pointer, Resource } from '@cosi-ts/resource';
import type { UpdateOptions } from './state.ts';

// How a backend checks a caller's arguments and turns a caller's resource into the stored one.
// Every check runs before anything is written, so a rejected call leaves no trace. Deeply frozen
// plain parts are shared (no per-write deep copy); anything else is copied first, so that the
// caller's objects are never frozen nor kept.

const part = (v: unknown): string =>
  typeof v === 'string' ? v : `<${v === undefined ? 'missing' : typeof v === 'object' ? (v === null ? 'null' : 'object') : String(v)}>`;

/** "ns/type/id" of whatever the caller passed, readable even when the fields are not strings. */
export function describeArg(p: { readonly namespace?: unknown; readonly type?: unknown; readonly id?: unknown }): string {
  return `${part(p.namespace)}/${part(p.type)}/${part(p.id)}`;
}

const badName = (v: unknown): boolean => typeof v !== 'string' || v === '';

/** The TypeError for the first name field of `p` that is not a non-empty string. */
function nameError(op: string, what: string, p: Record<string, unknown>): TypeError {
  const fields = what === 'kind' ? (['namespace', 'type'] as const) : (['namespace', 'type', 'id'] as const);
  const field = fields.find((f) => badName(p[f])) ?? 'id';
  const v = p[field];
  const name = what === 'kind' ? `${part(p['namespace'])}/${part(p['type'])}` : describeArg(p);
  return new TypeError(`${op} ${name}: ${what}.${field} must be a non-empty string, got ${v === '' ? "''" : part(v)}`);
}

/** TypeError naming the operation and the rule unless `k` is a Kind of non-empty strings. */
export function checkKind(op: string, k: unknown): asserts k is Kind {
  if (typeof k !== 'object' || k === null) throw new TypeError(`${op}: expected a kind { namespace, type }, got ${part(k)}`);
  const o = k as Kind;
  if (badName(o.namespace) || badName(o.type)) throw nameError(op, 'kind', k as Record<string, unknown>);
}

/** TypeError naming the operation, the resource and the rule unless `p` is a Pointer of non-empty strings. */
export function checkPointer(op: string, p: unknown, what = 'pointer'): asserts p is Pointer {
  if (typeof p !== 'object' || p === null) throw new TypeError(`${op}: expected a ${what} { namespace, type, id }, got ${part(p)}`);
  const o = p as Pointer;
  // Direct property reads (no keyed access): this runs on every call.
  if (badName(o.namespace) || badName(o.type) || badName(o.id)) throw nameError(op, what, p as Record<string, unknown>);
}

/**
 * The scalar checks of a resource argument (create/update): a `{ metadata, spec }` whose metadata names
 * it and holds a valid version, owner and phase, and which is no Tombstone. TypeError otherwise.
 */
export function checkResource(op: string, r: unknown): asserts r is Resource<unknown> {
  if (typeof r !== 'object' || r === null) throw new TypeError(`${op}: expected a resource { metadata, spec }, got ${part(r)}`);
  const md: unknown = (r as { metadata?: unknown }).metadata;
  if (typeof md !== 'object' || md === null) throw new TypeError(`${op}: resource metadata must be an object, got ${part(md)}`);
  const m = md as Metadata;
  if (badName(m.namespace) || badName(m.type) || badName(m.id)) throw nameError(op, 'metadata', md as Record<string, unknown>);
  const version: unknown = m.version;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) {
    throw new TypeError(`${op} ${describeArg(m)}: metadata.version must be an integer >= 0, got ${part(version)}`);
  }
  if (typeof m.owner !== 'string') throw new TypeError(`${op} ${describeArg(m)}: metadata.owner must be a string, got ${part(m.owner)}`);
  if (m.phase !== 'running' && m.phase !== 'tearingDown') {
    throw new TypeError(`${op} ${describeArg(m)}: metadata.phase must be 'running' or 'tearingDown', got ${part(m.phase)}`);
  }
  if ((r as Resource<unknown>).spec === undefined) {
    throw new TypeError(`${op} ${describeArg(m)}: the resource has no spec; a Tombstone cannot be stored`);
  }
}

/** The caller's owner option: '' when absent; TypeError unless a string. */
export function ownerOption(op: string, p: Pointer, owner: unknown): string {
  if (owner === undefined) return '';
  if (typeof owner !== 'string') throw new TypeError(`${op} ${describeArg(p)}: option owner must be a string, got ${part(owner)}`);
  return owner;
}

/** The caller's expectedPhase option: 'running' when absent; TypeError unless a phase or 'any'. */
export function expectedPhaseOption(op: string, p: Pointer, phase: unknown): NonNullable<UpdateOptions['expectedPhase']> {
  if (phase === undefined) return 'running';
  if (phase !== 'running' && phase !== 'tearingDown' && phase !== 'any') {
    throw new TypeError(`${op} ${describeArg(p)}: option expectedPhase must be 'running', 'tearingDown' or 'any', got ${part(phase)}`);
  }
  return phase;
}

/** Labels or annotations to store: a string-to-string map, shared when frozen, else copied. */
export function storedLabels(op: string, md: Pointer, field: 'labels' | 'annotations', l: unknown): Labels {
  if (l === noLabels || l === undefined) return noLabels;
  const proto: unknown = typeof l === 'object' && l !== null ? Object.getPrototypeOf(l) : undefined;
  if (proto !== Object.prototype && proto !== null) {
    throw new TypeError(`${op} ${describeArg(md)}: metadata.${field} must be a string-to-string map, got ${part(l)}`);
  }
  const map = l as Record<string, unknown>;
  for (const k in map) {
    if (typeof map[k] !== 'string') {
      throw new TypeError(`${op} ${describeArg(md)}: metadata.${field}[${JSON.stringify(k)}] must be a string, got ${part(map[k])}`);
    }
  }
  return Object.isFrozen(map) ? (map as Labels) : Object.freeze({ ...(map as Labels) });
}

/** Finalizers to store: an ordered set of strings (TypeError on duplicates), shared when frozen. */
export function storedFinalizers(op: string, md: Pointer, f: unknown): readonly string[] {
  if (f === noFinalizers || f === undefined) return noFinalizers;
  if (!Array.isArray(f)) throw new TypeError(`${op} ${describeArg(md)}: metadata.finalizers must be an array of strings, got ${part(f)}`);
  const list = f as readonly unknown[];
  if (list.length === 0) return noFinalizers;
  for (let i = 0; i < list.length; i++) {
    const x = list[i];
    if (typeof x !== 'string') {
      throw new TypeError(`${op} ${describeArg(md)}: metadata.finalizers[${i}] must be a string, got ${part(x)}`);
    }
    if (list.indexOf(x) !== i) {
      throw new TypeError(`${op} ${describeArg(md)}: metadata.finalizers holds ${JSON.stringify(x)} twice; finalizers are a set`);
    }
  }
  return Object.isFrozen(list) ? (list as readonly string[]) : Object.freeze([...(list as string[])]);
}

/** The spec to store: deeply frozen plain data is shared, anything else copied (TypeError naming the resource and path). */
export function storedSpec<S>(md: Pointer, spec: S): S {
  return isFrozenPlainData(spec) ? spec : frozenCopy(spec, `resource ${describeArg(md)} spec`);
}

/** The stored resource: metadata and resource frozen; the parts must already be frozen. */
export function freezeResource<S>(
  metadata: {
    namespace: string;
    type: string;
    id: string;
    version: number;
    owner: string;
    phase: Phase;
    finalizers: readonly string[];
    labels: Labels;
    annotations: Labels;
    created: Date;
    updated: Date;
  },
  spec: S,
): Resource<S> {
  return Object.freeze({ metadata: Object.freeze(metadata) as Metadata, spec });
}
