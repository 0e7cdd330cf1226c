import { expect } from 'vitest';
import { NamespaceType, ResourceDefinitionType, defineResourceType, definitionId } from '@cosi-ts/resource';
import type { ResourceDefinitionSpec } from '@cosi-ts/resource';
import { register, registerDefaults, registerNamespace, resolveType } from '../../meta.ts';
import { expectNotFound } from '../expect-rejection.ts';
import { conformanceCase } from '../conformance-case.ts';
import { Path } from '../fixture.ts';
import type { StateConformanceOptions } from '../options.ts';

/** Case 23: the meta namespace, definitions and aliases. */
export function metaCases(options: StateConformanceOptions): void {
  conformanceCase(options, '23. meta: registerDefaults twice, definitions with their aliases, bad names throw', async ({ state, namespace }) => {
    await registerDefaults(state);
    const nsPtr = NamespaceType.pointer('meta');
    const rdPtr = ResourceDefinitionType.pointer(definitionId('ResourceDefinitions.meta.cosi.dev'));
    const nsDefPtr = ResourceDefinitionType.pointer(definitionId('Namespaces.meta.cosi.dev'));
    const versions = async () =>
      Promise.all([nsPtr, rdPtr, nsDefPtr].map(async (p) => (await state.get(p)).metadata.version));
    const first = await versions();
    await registerDefaults(state);
    expect(await versions(), 'a second registerDefaults writes nothing').toEqual(first);

    // name resolution over what the store holds: case-insensitive id or alias; none → NotFound
    for (const name of ['rd', 'API-Resources', 'resourcedefinitions.meta.cosi.dev', 'ns']) {
      expect((await resolveType(state, name)).type, name).toBe(name === 'ns' ? 'Namespaces.meta.cosi.dev' : 'ResourceDefinitions.meta.cosi.dev');
    }
    await expectNotFound(() => resolveType(state, 'NoSuchThings'), ResourceDefinitionType.pointer('nosuchthings'));

    expect(rdPtr).toMatchObject({ namespace: 'meta', type: 'ResourceDefinitions.meta.cosi.dev', id: 'resourcedefinitions.meta.cosi.dev' });
    const meta = await state.get(nsPtr);
    expect(meta.metadata).toMatchObject({ namespace: 'meta', type: 'Namespaces.meta.cosi.dev', id: 'meta', owner: 'meta' });
    expect(typeof (meta.spec as { description?: unknown }).description).toBe('string');

    const rd = await state.get<ResourceDefinitionSpec>(rdPtr);
    expect(rd.metadata.owner).toBe('meta');
    expect(rd.spec).toMatchObject({
      type: 'ResourceDefinitions.meta.cosi.dev',
      displayType: 'ResourceDefinition',
      defaultNamespace: 'meta',
      aliases: ['api-resources', 'resourcedefinition', 'rd', 'rds'],
      allAliases: [
        'resourcedefinitions',
        'resourcedefinitions.meta',
        'resourcedefinitions.meta.cosi',
        'api-resources',
        'resourcedefinition',
        'rd',
        'rds',
      ],
      printColumns: [{ name: 'Aliases', jsonPath: '{.aliases[:]}' }],
      sensitivity: '',
    });
    const nsDef = await state.get<ResourceDefinitionSpec>(nsDefPtr);
    expect(nsDef.metadata.owner).toBe('meta');
    expect(nsDef.spec).toMatchObject({
      type: 'Namespaces.meta.cosi.dev',
      displayType: 'Namespace',
      aliases: ['ns', 'namespace'],
      allAliases: ['namespaces', 'namespaces.meta', 'namespaces.meta.cosi', 'ns', 'namespace'],
    });
    const defined = (await state.list(ResourceDefinitionType.kind())).map((r) => r.metadata.id);
    expect(defined).toEqual(expect.arrayContaining(['namespaces.meta.cosi.dev', 'resourcedefinitions.meta.cosi.dev']));

    // register and registerNamespace: create or update, equal → no write
    await register(state, Path);
    const pathPtr = ResourceDefinitionType.pointer(definitionId(Path.type));
    const pathDef = await state.get<ResourceDefinitionSpec>(pathPtr);
    expect(pathDef.spec).toMatchObject({ type: 'Paths.conformance.cosi.dev', displayType: 'Path', aliases: ['path'] });
    await register(state, Path);
    expect((await state.get(pathPtr)).metadata.version).toBe(pathDef.metadata.version);

    await registerNamespace(state, namespace, 'a conformance case');
    const ns = await state.get(NamespaceType.pointer(namespace));
    expect(ns.spec).toEqual({ description: 'a conformance case' });
    await registerNamespace(state, namespace, 'a conformance case');
    expect((await state.get(NamespaceType.pointer(namespace))).metadata.version).toBe(ns.metadata.version);
    await registerNamespace(state, namespace, 'described again');
    const renamed = await state.get(NamespaceType.pointer(namespace));
    expect(renamed.metadata.version).toBe(ns.metadata.version + 1);
    expect(renamed.spec).toEqual({ description: 'described again' });

    const affiliates = defineResourceType({ type: 'Affiliates.cluster.talos.dev', defaultNamespace: 'cluster' }).definition;
    expect(affiliates.aliases).toEqual(['affiliate']);
    expect(affiliates.allAliases).toEqual(['affiliates', 'affiliates.cluster', 'affiliates.cluster.talos', 'affiliate']);

    for (const type of [
      'paths.conformance.cosi.dev', // name must start upper case
      'Path.conformance.cosi.dev', // name must be plural
      'Paths', // no suffix
      'Paths.Conformance.cosi.dev', // suffix must be lower case
      'Paths.conformance..dev', // empty suffix segment
      'Pa_ths.conformance.cosi.dev', // name characters
      'P.conformance.cosi.dev', // name too short
    ]) {
      expect(() => defineResourceType({ type, defaultNamespace: 'x' }), type).toThrow(TypeError);
    }
  });
}
