import { closestName, ResourceDefinitionType, resolveResourceType, isResourceTypeNotFound, type ResourceDefinitionSpec } from '@cosi-ts/resource';
import type { State } from '@cosi-ts/state';
import { CliError } from './cli-errors.ts';

/** The server's definitions (`cosictl get rd`). */
export async function fetchDefinitions(state: State, signal?: AbortSignal): Promise<ResourceDefinitionSpec[]> {
  const defs = await state.list<ResourceDefinitionSpec>(ResourceDefinitionType.kind(), signal === undefined ? {} : { signal });
  return defs.map((d) => d.spec);
}

/** A user's type name or alias → the server's definition; an unknown name suggests the closest ones. */
export function resolveType(defs: readonly ResourceDefinitionSpec[], name: string): ResourceDefinitionSpec {
  try {
    return resolveResourceType(defs, name);
  } catch (e) {
    if (!isResourceTypeNotFound(e)) throw e;
    const names = defs.flatMap((d) => [d.type, ...d.allAliases]);
    // At most a third of the name may differ: "nosuch" must not suggest "ksc".
    const near = closestName(name, names, Math.max(1, Math.floor(name.length / 3)));
    const hint = near === undefined ? '' : ` Did you mean "${near}"?`;
    throw new CliError('UnknownType', `unknown resource type "${name}".${hint} \`cosictl get rd\` lists every type and its aliases.`);
  }
}
