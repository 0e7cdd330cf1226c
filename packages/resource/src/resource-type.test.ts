import { describe, expect, it } from 'vitest';
import { defineResourceType, deriveDefinition } from './resource-type.ts';

describe('deriveDefinition: the specs/state.md §2 alias table', () => {
  it.each([
    [
      'ResourceDefinitions.meta.cosi.dev',
      ['api-resources'],
      'ResourceDefinition',
      ['api-resources', 'resourcedefinition', 'rd', 'rds'],
      ['resourcedefinitions', 'resourcedefinitions.meta', 'resourcedefinitions.meta.cosi'],
    ],
    ['Namespaces.meta.cosi.dev', ['ns'], 'Namespace', ['ns', 'namespace'], ['namespaces', 'namespaces.meta', 'namespaces.meta.cosi']],
    ['Affiliates.cluster.talos.dev', [], 'Affiliate', ['affiliate'], ['affiliates', 'affiliates.cluster', 'affiliates.cluster.talos']],
  ])('%s (%j)', (type, declared, displayType, aliases, byType) => {
    const def = deriveDefinition({ type, defaultNamespace: 'meta', aliases: declared });
    expect(def.displayType).toBe(displayType);
    expect(def.aliases).toEqual(aliases);
    expect(def.allAliases).toEqual([...byType, ...aliases]);
  });

  it('adds no "s" when the capitals end in S', () => {
    const def = deriveDefinition({ type: 'KubeSpans.kubespan.talos.dev', defaultNamespace: 'k' });
    expect(def.displayType).toBe('KubeSpan');
    expect(def.aliases).toEqual(['kubespan', 'ks']);
  });

  it('skipAutomaticAliases keeps only the declared aliases', () => {
    const def = deriveDefinition({
      type: 'ResourceDefinitions.meta.cosi.dev',
      defaultNamespace: 'meta',
      aliases: ['defs'],
      skipAutomaticAliases: true,
    });
    expect(def.aliases).toEqual(['defs']);
    expect(def.allAliases).toEqual(['defs']);
  });

  it('derives sensitivity and print columns, frozen', () => {
    const def = deriveDefinition({
      type: 'Secrets.test.dev',
      defaultNamespace: 'x',
      sensitive: true,
      printColumns: [{ name: 'Key', jsonPath: '{.key}' }],
    });
    expect(def.sensitivity).toBe('sensitive');
    expect(def.printColumns).toEqual([{ name: 'Key', jsonPath: '{.key}' }]);
    expect(deriveDefinition({ type: 'Secrets.test.dev', defaultNamespace: 'x' }).sensitivity).toBe('');
    expect(Object.isFrozen(def) && Object.isFrozen(def.aliases) && Object.isFrozen(def.printColumns)).toBe(true);
  });
});

describe('defineResourceType: name rules', () => {
  it.each([
    ['no dot', 'Affiliates', /must be <PluralName>\.<suffix>/],
    ['lower-case name', 'affiliates.cluster.talos.dev', /name "affiliates" must match/],
    ['one-letter name', 'A.cluster.talos.dev', /name "A" must match/],
    ['singular name', 'Affiliate.cluster.talos.dev', /name "Affiliate" must be plural/],
    ['bad name character', 'Affil_iates.cluster.dev', /must match/],
    ['upper-case suffix', 'Affiliates.Cluster.dev', /suffix "Cluster.dev" must match/],
    ['empty suffix segment', 'Affiliates.cluster..dev', /suffix "cluster..dev" must match/],
    ['one-letter suffix segment', 'Affiliates.c.dev', /suffix "c.dev" must match/],
    ['suffix starting with a digit', 'Affiliates.1cluster.dev', /suffix/],
  ])('rejects %s (%s)', (_why, type, message) => {
    expect(() => defineResourceType({ type, defaultNamespace: 'cluster' })).toThrow(TypeError);
    expect(() => defineResourceType({ type, defaultNamespace: 'cluster' })).toThrow(message);
  });

  it('rejects an empty default namespace and a bad print column path', () => {
    expect(() => defineResourceType({ type: 'Affiliates.cluster.talos.dev', defaultNamespace: '' })).toThrow(/defaultNamespace/);
    expect(() =>
      defineResourceType({
        type: 'Affiliates.cluster.talos.dev',
        defaultNamespace: 'cluster',
        printColumns: [{ name: 'X', jsonPath: '{.a' }],
      }),
    ).toThrow(/JSONPath/);
  });

  it('accepts a single-segment suffix', () => {
    expect(defineResourceType({ type: 'Paths.conformance', defaultNamespace: 'x' }).definition.allAliases).toEqual(['paths', 'path']);
  });
});

describe('ResourceType', () => {
  interface AffiliateSpec {
    nodename: string;
    addresses: string[];
  }
  const Affiliate = defineResourceType<AffiliateSpec>({ type: 'Affiliates.cluster.talos.dev', defaultNamespace: 'cluster' });

  it('creates never-stored, frozen resources in the default namespace', () => {
    const r = Affiliate.create('n1', { nodename: 'a', addresses: ['10.0.0.1'] }, { labels: { role: 'cp' } });
    expect(r.metadata).toMatchObject({
      namespace: 'cluster',
      type: 'Affiliates.cluster.talos.dev',
      id: 'n1',
      version: 0,
      owner: '',
      phase: 'running',
      labels: { role: 'cp' },
    });
    expect(r.metadata.created.getTime()).toBe(0);
    expect(Object.isFrozen(r.spec.addresses)).toBe(true);
  });

  it('creates with every option', () => {
    const r = Affiliate.create('n1', { nodename: 'a', addresses: [] }, {
      namespace: 'cluster-raw',
      annotations: { a: 'b' },
      finalizers: ['f'],
      phase: 'tearingDown',
      owner: 'ctrl',
    });
    expect(r.metadata).toMatchObject({ namespace: 'cluster-raw', annotations: { a: 'b' }, finalizers: ['f'], phase: 'tearingDown', owner: 'ctrl' });
  });

  it('makes pointers and kinds', () => {
    expect(Affiliate.pointer('n1')).toEqual({ namespace: 'cluster', type: 'Affiliates.cluster.talos.dev', id: 'n1' });
    expect(Affiliate.pointer('n1', 'raw').namespace).toBe('raw');
    expect(Affiliate.kind()).toEqual({ namespace: 'cluster', type: 'Affiliates.cluster.talos.dev' });
    expect(Affiliate.kind('raw').namespace).toBe('raw');
  });

  it('compares specs structurally unless given equals', () => {
    expect(Affiliate.equals({ nodename: 'a', addresses: ['x'] }, { nodename: 'a', addresses: ['x'] })).toBe(true);
    expect(Affiliate.equals({ nodename: 'a', addresses: ['x'] }, { nodename: 'a', addresses: ['y'] })).toBe(false);
    const ByName = defineResourceType<AffiliateSpec>({
      type: 'Affiliates.cluster.talos.dev',
      defaultNamespace: 'cluster',
      equals: (a, b) => a.nodename === b.nodename,
    });
    expect(ByName.equals({ nodename: 'a', addresses: ['x'] }, { nodename: 'a', addresses: ['y'] })).toBe(true);
  });

  it('recognises its resources by type', () => {
    const Other = defineResourceType<unknown>({ type: 'Members.cluster.talos.dev', defaultNamespace: 'cluster' });
    const r = Affiliate.create('n1', { nodename: 'a', addresses: [] });
    expect(Affiliate.is(r)).toBe(true);
    expect(Other.is(r)).toBe(false);
  });

  it('exposes sensitivity', () => {
    expect(Affiliate.sensitive).toBe(false);
    expect(defineResourceType({ type: 'Secrets.test.dev', defaultNamespace: 'x', sensitive: true }).sensitive).toBe(true);
  });
});

describe('namespaces a type declares', () => {
  const Affiliates = defineResourceType<{ nodename: string }>({
    type: 'Affiliates.cluster.talos.dev',
    defaultNamespace: 'cluster',
    namespaces: ['cluster-raw'],
  });

  it('accepts the default and the declared namespaces', () => {
    expect(Affiliates.create('n1', { nodename: 'a' }).metadata.namespace).toBe('cluster');
    expect(Affiliates.create('k8s/n1', { nodename: 'a' }, { namespace: 'cluster-raw' }).metadata.namespace).toBe('cluster-raw');
    expect(Affiliates.pointer('n1', 'cluster-raw')).toEqual({ namespace: 'cluster-raw', type: 'Affiliates.cluster.talos.dev', id: 'n1' });
  });

  it('refuses an unknown namespace, naming the resource and the rule', () => {
    expect(() => Affiliates.create('n1', { nodename: 'a' }, { namespace: 'clustr' })).toThrow(
      new TypeError(
        'resource clustr/Affiliates.cluster.talos.dev/n1: namespace "clustr" is not one of the namespaces Affiliates.cluster.talos.dev lives in (cluster, cluster-raw)',
      ),
    );
    expect(() => Affiliates.pointer('n1', 'other')).toThrow(/namespace "other" is not one of the namespaces/);
    expect(() => Affiliates.kind('other')).toThrow(/resource other\/Affiliates.cluster.talos.dev: namespace "other"/);
  });

  it('places no limit when none is declared', () => {
    const Free = defineResourceType<{ x: number }>({ type: 'Frees.test.cosi.dev', defaultNamespace: 'a' });
    expect(Free.create('1', { x: 1 }, { namespace: 'anything' }).metadata.namespace).toBe('anything');
  });

  it('refuses a malformed namespace list', () => {
    expect(() => defineResourceType({ type: 'Bads.test.cosi.dev', defaultNamespace: 'a', namespaces: [''] })).toThrow(TypeError);
  });
});
