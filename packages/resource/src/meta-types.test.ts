import { describe, expect, it } from 'vitest';
import { AmbiguousResourceTypeError, isAmbiguousResourceType, isResourceTypeNotFound, ResourceTypeNotFoundError } from './errors.ts';
import { formatJsonPath } from './json-path.ts';
import { definitionId, definitionResource, namespaceResource, NamespaceType, ResourceDefinitionType, resolveResourceType } from './meta-types.ts';
import { defineResourceType } from './resource-type.ts';

describe('meta types', () => {
  it('define namespaces and resource definitions in the meta namespace', () => {
    expect(NamespaceType.type).toBe('Namespaces.meta.cosi.dev');
    expect(NamespaceType.defaultNamespace).toBe('meta');
    expect(NamespaceType.definition.aliases).toEqual(['ns', 'namespace']);
    expect(ResourceDefinitionType.type).toBe('ResourceDefinitions.meta.cosi.dev');
    expect(ResourceDefinitionType.defaultNamespace).toBe('meta');
    expect(ResourceDefinitionType.definition.aliases).toEqual(['api-resources', 'resourcedefinition', 'rd', 'rds']);
    expect(ResourceDefinitionType.definition.printColumns).toEqual([{ name: 'Aliases', jsonPath: '{.aliases[:]}' }]);
  });

  it('stores a definition as a resource whose Aliases column lists its aliases', () => {
    const def = ResourceDefinitionType.definition;
    const r = ResourceDefinitionType.create(definitionId(def.type), def, { owner: 'meta' });
    expect(r.metadata).toMatchObject({ namespace: 'meta', id: 'resourcedefinitions.meta.cosi.dev', owner: 'meta' });
    expect(formatJsonPath(r.spec, '{.aliases[:]}')).toBe('api-resources,resourcedefinition,rd,rds');
    const ns = NamespaceType.create('cluster', { description: 'cluster resources' });
    expect(ns.spec.description).toBe('cluster resources');
  });

  it('ids definitions by lower-cased type', () => {
    expect(definitionId('Affiliates.cluster.talos.dev')).toBe('affiliates.cluster.talos.dev');
  });
});

describe('resolveResourceType', () => {
  const Affiliate = defineResourceType({ type: 'Affiliates.cluster.talos.dev', defaultNamespace: 'cluster' });
  const RawAffiliate = defineResourceType({ type: 'Affiliates.raw.talos.dev', defaultNamespace: 'cluster-raw' });
  const defs = [NamespaceType.definition, ResourceDefinitionType.definition, Affiliate.definition];

  it.each([
    ['rd', 'ResourceDefinitions.meta.cosi.dev'],
    ['RDS', 'ResourceDefinitions.meta.cosi.dev'],
    ['api-resources', 'ResourceDefinitions.meta.cosi.dev'],
    ['ResourceDefinitions.meta.cosi.dev', 'ResourceDefinitions.meta.cosi.dev'],
    ['resourcedefinitions.meta', 'ResourceDefinitions.meta.cosi.dev'],
    ['ns', 'Namespaces.meta.cosi.dev'],
    ['Namespace', 'Namespaces.meta.cosi.dev'],
    ['affiliate', 'Affiliates.cluster.talos.dev'],
    ['affiliates.cluster.talos', 'Affiliates.cluster.talos.dev'],
  ])('resolves %j case-insensitively', (name, type) => {
    expect(resolveResourceType(defs, name).type).toBe(type);
  });

  it('throws ResourceTypeNotFoundError for an unknown name', () => {
    expect(() => resolveResourceType(defs, 'members')).toThrow(ResourceTypeNotFoundError);
    try {
      resolveResourceType(defs, 'members');
    } catch (e) {
      expect(isResourceTypeNotFound(e)).toBe(true);
      expect((e as ResourceTypeNotFoundError).code).toBe('TypeNotFound');
      expect((e as Error).message).toContain('"members"');
    }
  });

  it('throws AmbiguousResourceTypeError listing every match', () => {
    const both = [...defs, RawAffiliate.definition];
    expect(resolveResourceType(both, 'affiliates.cluster').type).toBe('Affiliates.cluster.talos.dev');
    expect(() => resolveResourceType(both, 'affiliate')).toThrow(AmbiguousResourceTypeError);
    expect(() => resolveResourceType(both, 'affiliate')).toThrow(/Affiliates\.cluster\.talos\.dev, Affiliates\.raw\.talos\.dev/);
    expect(isAmbiguousResourceType(new AmbiguousResourceTypeError('x', []))).toBe(true);
    expect(isAmbiguousResourceType(new Error('x'))).toBe(false);
    expect(isResourceTypeNotFound(undefined)).toBe(false);
  });
});

describe('meta resources', () => {
  it('builds definition and namespace resources owned by meta', () => {
    const def = definitionResource(NamespaceType.definition);
    expect(def.metadata).toMatchObject({ namespace: 'meta', type: 'ResourceDefinitions.meta.cosi.dev', id: 'namespaces.meta.cosi.dev', owner: 'meta' });
    expect(def.spec).toEqual(NamespaceType.definition);
    const ns = namespaceResource('meta', 'metadata about resources');
    expect(ns.metadata).toMatchObject({ namespace: 'meta', type: 'Namespaces.meta.cosi.dev', id: 'meta', owner: 'meta' });
    expect(ns.spec).toEqual({ description: 'metadata about resources' });
  });
});
