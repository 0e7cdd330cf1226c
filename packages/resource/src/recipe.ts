import { Immer, type Draft } from 'immer';
import { resourceEquals } from './equality.ts';
import type { Metadata, Resource } from './metadata.ts';
import { deepFreeze, isPlainObject } from './plain-data.ts';
import { buildMetadata, formatPointer, newResource } from './resource.ts';

/**
 * An immer recipe over a draft of a resource. It may change `spec` and
 * `metadata.{labels, annotations, finalizers, phase}`; changing anything else is a TypeError.
 */
export type Recipe<S> = (draft: Draft<Resource<S>>) => void | Promise<void>;

// Our own instance, so a caller's global immer settings cannot change ours. Its autoFreeze is off:
// immer's freeze recurses without bound (a 100,000-level spec blows the stack inside finishDraft),
// while our deepFreeze below freezes the result with the MAX_SPEC_DEPTH bound and a typed error.
const immer = new Immer({ autoFreeze: false });

const editable = new Set(['labels', 'annotations', 'finalizers', 'phase']);

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (a instanceof Date && b instanceof Date && a.getTime() === b.getTime());
}

/**
 * Runs a (sync or async) recipe on a draft of `r`. Resolves to `r` itself when nothing changed, else to
 * a new deeply frozen resource in which only the spec and `metadata.{labels, annotations, finalizers,
 * phase}` differ (the version is left to the state). Finalizers stay an ordered set: duplicates keep
 * their first position. A recipe's error rejects as the same object.
 */
export async function applyRecipe<S>(r: Resource<S>, recipe: Recipe<S>): Promise<Resource<S>> {
  // immer freezes the whole result; a hand-made, unfrozen resource must not have the caller's objects frozen.
  const base = Object.isFrozen(r) && Object.isFrozen(r.metadata) ? r : newResource(r.metadata, r.spec);
  const draft = immer.createDraft(base);
  await recipe(draft);
  const result = immer.finishDraft(draft) as Resource<S>;
  if (result === base) return r;
  const name = formatPointer(r.metadata);
  for (const key of Object.keys(result)) {
    if (key !== 'metadata' && key !== 'spec') throw new TypeError(`recipe on ${name} added top-level field ${JSON.stringify(key)}`);
  }
  if (!isPlainObject(result.metadata)) throw new TypeError(`recipe on ${name} replaced metadata with a non-object`);
  const before = r.metadata as unknown as Record<string, unknown>;
  const after = result.metadata as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (!editable.has(key) && !sameValue(before[key], after[key])) {
      throw new TypeError(
        `recipe on ${name} changed metadata.${key}; only spec and metadata.labels, annotations, finalizers and phase may change`,
      );
    }
  }
  const finalizers: unknown = after.finalizers;
  const metadata = buildMetadata({
    ...r.metadata,
    labels: result.metadata.labels,
    annotations: result.metadata.annotations,
    finalizers: Array.isArray(finalizers) ? [...new Set<unknown>(finalizers)] as string[] : (finalizers as Metadata['finalizers']),
    phase: result.metadata.phase,
  });
  if (result.spec === undefined) throw new TypeError(`recipe on ${name} removed the spec`);
  const next: Resource<S> = Object.freeze({ metadata, spec: deepFreeze(result.spec, `resource ${name} spec`) });
  const sameOrder = metadata.finalizers.every((f, i) => r.metadata.finalizers[i] === f);
  return sameOrder && resourceEquals(r, next) ? r : next;
}
