import type { Kind, Labels, Metadata, Phase, Pointer, Resource, Tombstone } from './metadata.ts';
import { frozenCopy, isPlainObject, setOwn } from './plain-data.ts';

/** "ns/type/id", or "ns/type" at kind level. */
export function formatPointer(p: Kind & { readonly id?: string }): string {
  return p.id === undefined || p.id === '' ? `${p.namespace}/${p.type}` : `${p.namespace}/${p.type}/${p.id}`;
}

export function pointerOf(md: Pointer): Pointer {
  return Object.freeze({ namespace: md.namespace, type: md.type, id: md.id });
}

export function kindOf(k: Kind): Kind {
  return Object.freeze({ namespace: k.namespace, type: k.type });
}

const phases: readonly Phase[] = ['running', 'tearingDown'];

function describe(md: { readonly namespace?: unknown; readonly type?: unknown; readonly id?: unknown }): string {
  const part = (v: unknown) => (typeof v === 'string' ? v : `<${v === undefined ? 'missing' : JSON.stringify(v) ?? typeof v}>`);
  return `${part(md.namespace)}/${part(md.type)}/${part(md.id)}`;
}

/**
 * The one frozen empty label map and finalizer list that every resource without labels, annotations or
 * finalizers shares: less memory per resource, and a store recognises them by identity (no walk).
 */
export const noLabels: Labels = Object.freeze({});
export const noFinalizers: readonly string[] = Object.freeze([]);

function copyLabels(value: unknown, field: string, name: string): Labels {
  if (value === noLabels) return noLabels;
  if (!isPlainObject(value)) throw new TypeError(`resource ${name}: metadata.${field} must be a string-to-string map`);
  const entries = Object.entries(value);
  if (entries.length === 0) return noLabels;
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (typeof v !== 'string') {
      throw new TypeError(`resource ${name}: metadata.${field}[${JSON.stringify(k)}] must be a string, got ${typeof v}`);
    }
    setOwn(out, k, v);
  }
  return Object.freeze(out);
}

function copyDate(value: unknown, field: string, name: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new TypeError(`resource ${name}: metadata.${field} must be a valid Date`);
  }
  return Object.freeze(new Date(value.getTime()));
}

/** Validates metadata and returns a frozen copy; missing fields get the defaults of a never-stored resource. */
export function buildMetadata(md: Partial<Metadata>, allowEmptyId = false): Metadata {
  const name = describe(md);
  for (const field of ['namespace', 'type', 'id'] as const) {
    const v: unknown = md[field];
    if (typeof v !== 'string' || (v === '' && !(allowEmptyId && field === 'id'))) {
      throw new TypeError(`resource ${name}: metadata.${field} must be a non-empty string`);
    }
  }
  const version: unknown = md.version ?? 0;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) {
    throw new TypeError(`resource ${name}: metadata.version must be an integer >= 0, got ${String(version)}`);
  }
  const owner: unknown = md.owner ?? '';
  if (typeof owner !== 'string') throw new TypeError(`resource ${name}: metadata.owner must be a string`);
  const phase: unknown = md.phase ?? 'running';
  if (!phases.includes(phase as Phase)) {
    throw new TypeError(`resource ${name}: metadata.phase must be 'running' or 'tearingDown', got ${JSON.stringify(phase)}`);
  }
  const finalizers: unknown = md.finalizers ?? [];
  if (!Array.isArray(finalizers) || !finalizers.every((f): f is string => typeof f === 'string')) {
    throw new TypeError(`resource ${name}: metadata.finalizers must be an array of strings`);
  }
  if (new Set(finalizers).size !== finalizers.length) {
    throw new TypeError(`resource ${name}: metadata.finalizers must not contain duplicates (it is an ordered set)`);
  }
  return Object.freeze({
    namespace: md.namespace as string,
    type: md.type as string,
    id: md.id as string,
    version,
    owner,
    phase: phase as Phase,
    finalizers: finalizers.length === 0 ? noFinalizers : Object.freeze([...finalizers]),
    labels: copyLabels(md.labels ?? {}, 'labels', name),
    annotations: copyLabels(md.annotations ?? {}, 'annotations', name),
    created: copyDate(md.created ?? new Date(0), 'created', name),
    updated: copyDate(md.updated ?? new Date(0), 'updated', name),
  });
}

/**
 * A new resource: metadata validated (TypeError naming the resource and the rule) with defaults
 * version 0, owner '', phase running, no finalizers/labels/annotations, created = updated = Date(0);
 * the spec deep-copied and frozen, so the caller's objects are never shared nor frozen.
 */
export function newResource<S>(md: Partial<Metadata> & Pointer, spec: S): Resource<S> {
  const metadata = buildMetadata(md);
  const name = formatPointer(metadata);
  if (spec === undefined) throw new TypeError(`resource ${name}: spec must not be undefined (that marks a Tombstone)`);
  return Object.freeze({ metadata, spec: frozenCopy(spec, `resource ${name} spec`) });
}

const fixedFields = ['namespace', 'type', 'id'] as const;

/** A frozen copy of `r` with metadata fields replaced; the (already frozen) spec is shared. */
export function withMetadata<S>(
  r: Resource<S>,
  patch: Partial<Omit<Metadata, 'namespace' | 'type' | 'id'>>,
): Resource<S> {
  for (const f of fixedFields) {
    if (Object.hasOwn(patch, f)) {
      throw new TypeError(`resource ${formatPointer(r.metadata)}: withMetadata cannot change metadata.${f}`);
    }
  }
  const merged: Record<string, unknown> = { ...r.metadata };
  for (const [k, v] of Object.entries(patch)) if (v !== undefined) merged[k] = v;
  return Object.freeze({ metadata: buildMetadata(merged as Partial<Metadata>), spec: r.spec });
}

/** "Absent": version 0, `id: ''` at kind level, no spec. */
export function tombstone(ptr: Kind & { readonly id?: string }): Tombstone {
  const metadata = buildMetadata({ namespace: ptr.namespace, type: ptr.type, id: ptr.id ?? '' }, true);
  return Object.freeze({ metadata, spec: undefined });
}

export function isTombstone(r: Resource<unknown> | Tombstone): r is Tombstone {
  return r.spec === undefined;
}
