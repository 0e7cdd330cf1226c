import { CLUSTER_RESOURCE_TYPES } from '@cosi-ts/cluster';
import { NamespaceType, ResourceDefinitionType, definitionResource, type ResourceDefinitionSpec } from '@cosi-ts/resource';
import type { State } from '@cosi-ts/state';

/** Every type a node serves, so clients (`cosictl get <alias>`) resolve names from the server. */
export const NODE_RESOURCE_TYPES: readonly { readonly definition: ResourceDefinitionSpec }[] = [
  NamespaceType,
  ResourceDefinitionType,
  ...CLUSTER_RESOURCE_TYPES,
];

/** Writes `meta/ResourceDefinitions/*` for NODE_RESOURCE_TYPES into a fresh state. */
export async function publishResourceDefinitions(state: State): Promise<void> {
  for (const t of NODE_RESOURCE_TYPES) await state.create(definitionResource(t.definition), { owner: 'meta' });
}
