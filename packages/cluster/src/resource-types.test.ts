import { describe, it, expect } from 'vitest';
import { NamespaceType, ResourceDefinitionType, formatJsonPath, resolveResourceType } from '@cosi-ts/resource';
import { Affiliate } from './affiliate.ts';
import { DiscoveryConfig } from './discovery-config.ts';
import { Identity } from './identity.ts';
import { Info } from './info.ts';
import { Member } from './member.ts';
import { CLUSTER_RESOURCE_TYPES } from './resource-types.ts';

describe('cluster resource types', () => {
  it.each([
    ['Affiliate', Affiliate, 'Affiliates.cluster.talos.dev', 'cluster', 'Affiliate', ['affiliate', 'affiliates']],
    ['Member', Member, 'Members.cluster.talos.dev', 'cluster', 'Member', ['member', 'members']],
    ['Identity', Identity, 'Identities.cluster.talos.dev', 'cluster', 'Identity', ['identity', 'identities']],
    ['DiscoveryConfig', DiscoveryConfig, 'DiscoveryConfigs.cluster.talos.dev', 'config', 'DiscoveryConfig', ['discoveryconfig', 'discoveryconfigs', 'dc', 'dcs']],
    ['Info', Info, 'Infos.cluster.talos.dev', 'cluster', 'Info', ['info', 'infos']],
  ] as const)('%s has its type string, namespace, display name and aliases', (_name, t, type, ns, display, aliases) => {
    expect(t.type).toBe(type);
    expect(t.defaultNamespace).toBe(ns);
    expect(t.definition.displayType).toBe(display);
    for (const a of aliases) expect(t.definition.allAliases).toContain(a);
  });

  it('has the print columns of the spec', () => {
    const cols = (t: { definition: { printColumns: readonly { name: string; jsonPath: string }[] } }) =>
      t.definition.printColumns.map((c) => `${c.name}=${c.jsonPath}`);
    expect(cols(Affiliate)).toEqual(['HOSTNAME={.hostname}', 'MACHINE TYPE={.machineType}', 'ADDRESSES={.addresses}']);
    expect(cols(Member)).toEqual([
      'HOSTNAME={.hostname}',
      'MACHINE TYPE={.machineType}',
      'OS={.operatingSystem}',
      'ADDRESSES={.addresses}',
    ]);
    expect(cols(Identity)).toEqual(['ID={.nodeId}']);
    expect(cols(Info)).toEqual(['CLUSTER ID={.clusterId}', 'CLUSTER NAME={.clusterName}']);
    expect(cols(DiscoveryConfig)).toEqual([]);
  });

  it('marks DiscoveryConfig and MachineConfig sensitive and nothing else', () => {
    const sensitive = CLUSTER_RESOURCE_TYPES.filter((t) => t.sensitive).map((t) => t.type);
    expect(sensitive.sort()).toEqual(['DiscoveryConfigs.cluster.talos.dev', 'MachineConfigs.config.talos.dev']);
    expect(DiscoveryConfig.definition.sensitivity).toBe('sensitive');
  });

  it('keeps the Talos names of the input types', () => {
    expect(CLUSTER_RESOURCE_TYPES.map((t) => `${t.defaultNamespace}/${t.type}`).sort()).toEqual(
      [
        'cluster/Affiliates.cluster.talos.dev',
        'cluster/Members.cluster.talos.dev',
        'cluster/Identities.cluster.talos.dev',
        'config/DiscoveryConfigs.cluster.talos.dev',
        'cluster/Infos.cluster.talos.dev',
        'config/MachineConfigs.config.talos.dev',
        'network/HostnameStatuses.net.talos.dev',
        'network/NodeAddresses.net.talos.dev',
        'k8s/Nodenames.kubernetes.talos.dev',
        'config/MachineTypes.config.talos.dev',
        'controlplane/APIServerConfigs.kubernetes.talos.dev',
        'cluster/AddressStatuses.net.talos.dev',
        'runtime/MachineResetSignals.runtime.talos.dev',
        'kubespan/KubeSpanIdentities.kubespan.talos.dev',
        'config/KubeSpanConfigs.kubespan.talos.dev',
        'k8s/NodeStatuses.kubernetes.talos.dev',
        'kubespan/KubeSpanEndpoints.kubespan.talos.dev',
      ].sort(),
    );
  });

  it('resolves every alias of the spec to its type, unambiguously next to the meta types', () => {
    const defs = [...CLUSTER_RESOURCE_TYPES.map((t) => t.definition), NamespaceType.definition, ResourceDefinitionType.definition];
    const expected: Record<string, string> = {
      affiliate: Affiliate.type,
      affiliates: Affiliate.type,
      member: Member.type,
      members: Member.type,
      identity: Identity.type,
      identities: Identity.type,
      discoveryconfig: DiscoveryConfig.type,
      discoveryconfigs: DiscoveryConfig.type,
      dc: DiscoveryConfig.type,
      dcs: DiscoveryConfig.type,
      info: Info.type,
      infos: Info.type,
      ns: NamespaceType.type,
    };
    for (const [alias, type] of Object.entries(expected)) expect(resolveResourceType(defs, alias).type, alias).toBe(type);
    // No alias of one type is an alias of another.
    const owners = new Map<string, string[]>();
    for (const d of defs) for (const a of d.allAliases) owners.set(a, [...(owners.get(a) ?? []), d.type]);
    expect([...owners].filter(([, types]) => types.length > 1)).toEqual([]);
  });

  it('prints a Member row as the spec shows it', () => {
    const spec = { nodeId: 'n', addresses: ['10.5.0.2'], hostname: 'node-1', machineType: 'controlplane', operatingSystem: 'cosi-ts (v0.1.0)' };
    expect(Member.definition.printColumns.map((c) => formatJsonPath(spec, c.jsonPath)).join('  ')).toBe('node-1  controlplane  cosi-ts (v0.1.0)  ["10.5.0.2"]');
  });

  it('creates raw affiliates in cluster-raw', () => {
    const r = Affiliate.create('service/n1', { nodeId: 'n1', addresses: [], hostname: 'h', operatingSystem: '', machineType: 'worker' }, { namespace: 'cluster-raw' });
    expect(r.metadata).toMatchObject({ namespace: 'cluster-raw', type: 'Affiliates.cluster.talos.dev', id: 'service/n1', version: 0 });
  });
});
