import {
  NamespaceType,
  ResourceDefinitionType,
  definitionId,
  isResourceTypeNotFound,
  metaNamespace,
  resolveResourceType,
} from '@cosi-ts/resource';
import { NotFoundError } from './errors.ts';
import type { NamespaceSpec, Resource, ResourceDefinitionSpec, ResourceType } from '@cosi-ts/resource';
import type { SignalOptions, State } from './state.ts';

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

/**
 * §2 name resolution (`cosictl get rd`) against the definitions stored in `meta`: a case-insensitive
 * match of a definition id or any of its `allAliases`. NotFoundError (for the definition the name
 * would have) when none matches; AmbiguousResourceTypeError, listing them, when several do.
 */
export async function resolveType(state: State, name: string, opts: SignalOptions = {}): Promise<ResourceDefinitionSpec> {
  if (typeof name !== 'string' || name === '') throw new TypeError(`resolveType: the type name must be a non-empty string, got ${String(name)}`);
  const defs = await state.list<ResourceDefinitionSpec>(ResourceDefinitionType.kind(), opts);
  try {
    return resolveResourceType(
      defs.map((d) => d.spec),
      name,
    );
  } catch (e) {
    if (!isResourceTypeNotFound(e)) throw e;
    throw new NotFoundError(ResourceDefinitionType.pointer(definitionId(name)));
  }
}
