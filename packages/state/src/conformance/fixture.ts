import { randomUUID } from 'node:crypto';
import { defineResourceType } from '@cosi-ts/resource';
import type { Metadata, Resource } from '@cosi-ts/resource';

export interface PathSpec {
  readonly value: string;
}

export interface CounterSpec {
  readonly value: number;
}

/** The resource type every case writes (specs/state.md §10). */
export const Path = defineResourceType<PathSpec>({
  type: 'Paths.conformance.cosi.dev',
  defaultNamespace: 'conformance',
});

/** A numeric spec for the concurrent-increment case. */
export const Counter = defineResourceType<CounterSpec>({
  type: 'Counters.conformance.cosi.dev',
  defaultNamespace: 'conformance',
});

/** A namespace no other case (or earlier run against a persistent store) has used. */
export function freshNamespace(): string {
  return `conformance-${randomUUID().slice(0, 13)}`;
}

type MetadataPatch = Partial<Pick<Metadata, 'version' | 'owner' | 'phase' | 'finalizers' | 'labels' | 'annotations'>>;

/** A changed copy for `update`: stored resources are frozen, so tests build new objects. */
export function changed<S>(resource: Resource<S>, patch: { readonly spec?: S; readonly metadata?: MetadataPatch }): Resource<S> {
  return {
    metadata: { ...resource.metadata, ...patch.metadata },
    spec: patch.spec ?? resource.spec,
  };
}

/** A deep, unfrozen copy: proves an operation does not mutate its argument. */
export function thawed<S>(resource: Resource<S>): Resource<S> {
  return structuredClone({ metadata: resource.metadata, spec: resource.spec });
}

/** True when every object in `value` (recursively) is frozen. */
export function isDeepFrozen(value: unknown): boolean {
  // Dates cannot be made immutable by freezing; they are left out
  if (typeof value !== 'object' || value === null || value instanceof Date) return true;
  if (!Object.isFrozen(value)) return false;
  return Object.values(value).every(isDeepFrozen);
}
