import { AmbiguousResourceTypeError, ResourceTypeNotFoundError } from './errors.ts';
import type { Resource } from './metadata.ts';
import { defineResourceType, type ResourceDefinitionSpec } from './resource-type.ts';

/** The namespace every definition and namespace resource lives in; also their owner. */
export const metaNamespace = 'meta';

export interface NamespaceSpec {
  readonly description: string;
}

/** One resource per namespace, id = the namespace. */
export const NamespaceType = defineResourceType<NamespaceSpec>({
  type: 'Namespaces.meta.cosi.dev',
  defaultNamespace: metaNamespace,
  aliases: ['ns'],
});

/** One resource per registered type, id = `definitionId(type)`. */
export const ResourceDefinitionType = defineResourceType<ResourceDefinitionSpec>({
  type: 'ResourceDefinitions.meta.cosi.dev',
  defaultNamespace: metaNamespace,
  aliases: ['api-resources'],
  printColumns: [{ name: 'Aliases', jsonPath: '{.aliases[:]}' }],
});

export function definitionId(type: string): string {
  return type.toLowerCase();
}

/**
 * The definition a user's name means (`cosictl get rd`): case-insensitive match of the definition id or
 * any of `allAliases`. ResourceTypeNotFoundError when none, AmbiguousResourceTypeError when several.
 */
export function resolveResourceType(defs: readonly ResourceDefinitionSpec[], name: string): ResourceDefinitionSpec {
  const wanted = name.toLowerCase();
  const found = defs.filter(
    (d) => definitionId(d.type) === wanted || d.allAliases.some((a) => a.toLowerCase() === wanted),
  );
  const [first, ...others] = found;
  if (first === undefined) throw new ResourceTypeNotFoundError(name);
  if (others.length > 0) throw new AmbiguousResourceTypeError(name, found.map((d) => d.type));
  return first;
}

/** The `meta` resource describing a type: id `definitionId(type)`, owned by `meta`. */
export function definitionResource(def: ResourceDefinitionSpec): Resource<ResourceDefinitionSpec> {
  return ResourceDefinitionType.create(definitionId(def.type), def, { owner: metaNamespace });
}

/** The `meta` resource describing a namespace: id = the namespace, owned by `meta`. */
export function namespaceResource(name: string, description: string): Resource<NamespaceSpec> {
  return NamespaceType.create(name, { description }, { owner: metaNamespace });
}
