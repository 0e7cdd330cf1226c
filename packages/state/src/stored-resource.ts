import { cloneSpec, deepFreeze } from '@cosi-ts/resource';
import type { Labels, Metadata, Phase, Resource } from '@cosi-ts/resource';

// How a backend turns a caller's resource into the stored one: frozen parts are shared (no per-write
// deep copy), anything unfrozen is copied first so that the caller's objects are never frozen.

/** Labels or annotations to store. */
export function frozenLabels(l: Labels | undefined): Labels {
  if (l === undefined) return emptyLabels;
  return Object.isFrozen(l) ? l : Object.freeze({ ...l });
}
const emptyLabels: Labels = Object.freeze({});

/** Finalizers to store: an ordered set (duplicates dropped, first position kept). */
export function frozenFinalizers(f: readonly string[] | undefined): readonly string[] {
  if (f === undefined || f.length === 0) return emptyFinalizers;
  if (Object.isFrozen(f) && new Set(f).size === f.length) return f;
  return Object.freeze([...new Set(f)]);
}
const emptyFinalizers: readonly string[] = Object.freeze([]);

/**
 * A frozen resource with frozen metadata was made by `newResource`, `withMetadata`, `applyRecipe` or a
 * store, all of which freeze deeply and keep finalizers a set: its parts can be shared as they are.
 */
export function isSealedResource(r: Resource<unknown>): boolean {
  return Object.isFrozen(r) && Object.isFrozen(r.metadata);
}

export function frozenSpec<S>(spec: S): S {
  // Resources from `newResource` are already deeply frozen: share them. Anything else is copied
  // first, so that the caller's objects are never frozen under its feet.
  return Object.isFrozen(spec) ? spec : deepFreeze(cloneSpec(spec, 'spec'), 'spec');
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
