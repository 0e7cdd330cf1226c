import { describe, expect, it } from 'vitest';
import { NamespaceType, ResourceDefinitionType, defineResourceType, definitionId } from '@cosi-ts/resource';
import type { ResourceDefinitionSpec } from '@cosi-ts/resource';
import { InMemoryState } from './in-memory-state.ts';
import { register, registerDefaults, registerNamespace, resolveType } from './meta.ts';
import { isNotFound } from './errors.ts';
import { isAmbiguousResourceType } from '@cosi-ts/resource';

const Affiliates = defineResourceType<{ readonly nodeId: string }>({
  type: 'Affiliates.cluster.talos.dev',
  defaultNamespace: 'cluster',
});

describe('meta registration', () => {
  it('registerDefaults creates the meta namespace and both definitions, and is idempotent', async () => {
    const state = new InMemoryState();
    await registerDefaults(state);
    const first = await state.list(ResourceDefinitionType.kind());
    await registerDefaults(state);
    const second = await state.list(ResourceDefinitionType.kind());
    expect(second).toEqual(first);
    expect(second.map((r) => r.metadata.id)).toEqual(['namespaces.meta.cosi.dev', 'resourcedefinitions.meta.cosi.dev']);
    expect(second.every((r) => r.metadata.version === 1 && r.metadata.owner === 'meta')).toBe(true);
    const rd = second[1]!.spec as ResourceDefinitionSpec;
    expect(rd.aliases).toEqual(['api-resources', 'resourcedefinition', 'rd', 'rds']);
    const ns = await state.get(NamespaceType.pointer('meta'));
    expect(ns.metadata).toMatchObject({ namespace: 'meta', owner: 'meta', version: 1 });
  });

  it('register and registerNamespace update a changed spec and skip an equal one', async () => {
    const state = new InMemoryState();
    const a = await register(state, Affiliates);
    expect(a.metadata.id).toBe(definitionId('Affiliates.cluster.talos.dev'));
    expect((await register(state, Affiliates.definition)).metadata.version).toBe(1);
    const changed = { ...Affiliates.definition, aliases: [...Affiliates.definition.aliases, 'aff'] };
    expect((await register(state, changed)).metadata.version).toBe(2);
    expect((await registerNamespace(state, 'cluster', 'cluster discovery')).metadata.version).toBe(1);
    expect((await registerNamespace(state, 'cluster', 'cluster discovery')).metadata.version).toBe(1);
    expect((await registerNamespace(state, 'cluster', 'members')).spec).toEqual({ description: 'members' });
  });
});

describe('name resolution (§2)', () => {
  it('matches a definition id or alias case-insensitively; none is NotFound, several list them', async () => {
    const state = new InMemoryState();
    await registerDefaults(state);
    await register(state, Affiliates);
    for (const name of ['rd', 'RDS', 'api-resources', 'resourcedefinitions.meta', 'ResourceDefinitions.meta.cosi.dev']) {
      expect((await resolveType(state, name)).type, name).toBe('ResourceDefinitions.meta.cosi.dev');
    }
    expect((await resolveType(state, 'Affiliate')).type).toBe('Affiliates.cluster.talos.dev');
    const missing = await resolveType(state, 'Nope').catch((e: unknown) => e);
    expect(isNotFound(missing)).toBe(true);
    expect((missing as Error).message).toMatch(/meta\/ResourceDefinitions\.meta\.cosi\.dev\/nope/);
    const Others = defineResourceType<{ readonly x: number }>({
      type: 'Affiliates.other.talos.dev',
      defaultNamespace: 'other',
    });
    await register(state, Others);
    const both = await resolveType(state, 'affiliate').catch((e: unknown) => e);
    expect(isAmbiguousResourceType(both)).toBe(true);
    expect((both as Error).message).toMatch(/Affiliates\.cluster\.talos\.dev, Affiliates\.other\.talos\.dev/);
    await expect(resolveType(state, '')).rejects.toThrow(TypeError);
  });
});
