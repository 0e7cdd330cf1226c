import { NamespaceType, ResourceDefinitionType, definitionId, metaNamespace } from '@cosi-ts/resource';
import type { NamespaceSpec, Resource, ResourceDefinitionSpec, ResourceType } from '@cosi-ts/resource';
import type { State } from './state.ts';

/** Owner of every resource in the `meta` namespace. */
export const metaOwner = 'meta';

const metaDescription = 'Resource definitions and namespaces (cosi-ts metadata)';

/**
 * Create-or-update of a meta resource: the stored spec becomes `spec`; an equal spec writes nothing
 * (the no-op rule), so this is safe on every start.
 */
function upsert<S>(state: State, template: Resource<S>, spec: S): Promise<Resource<S>> {
  return state.modify<S>(
    template,
    (draft) => {
      // A whole-spec replacement: immer keeps the stored object when the result is equal.
      (draft as unknown as { spec: S }).spec = spec;
    },
    { owner: metaOwner },
  );
}

const isResourceType = (t: ResourceType<unknown> | ResourceDefinitionSpec): t is ResourceType<unknown> =>
  'definition' in t && typeof t.definition === 'object';

/** Stores the definition of `type` in `meta` (id = lower-cased type name). */
export function register(
  state: State,
  type: ResourceType<unknown> | ResourceDefinitionSpec,
): Promise<Resource<ResourceDefinitionSpec>> {
  const spec = isResourceType(type) ? type.definition : type;
  const template = ResourceDefinitionType.create(definitionId(spec.type), spec, { namespace: metaNamespace });
  return upsert(state, template, spec);
}

/** Stores namespace `name` with its description in `meta`. */
export function registerNamespace(state: State, name: string, description: string): Promise<Resource<NamespaceSpec>> {
  const spec: NamespaceSpec = { description };
  const template = NamespaceType.create(name, spec, { namespace: metaNamespace });
  return upsert(state, template, spec);
}

/** The `meta` namespace and the definitions of namespaces and definitions themselves. */
export async function registerDefaults(state: State): Promise<void> {
  await registerNamespace(state, metaNamespace, metaDescription);
  await register(state, NamespaceType);
  await register(state, ResourceDefinitionType);
}
