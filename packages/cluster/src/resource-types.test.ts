import { describe, it, expect } from 'vitest';
import { Affiliate } from './affiliate.ts';
import { DiscoveryConfig } from './discovery-config.ts';
import { Identity } from './identity.ts';
import { Info } from './info.ts';
import { Member } from './member.ts';
import { CLUSTER_RESOURCE_TYPES } from './resource-types.ts';

describe('cluster resource types', () => {
  it.each([
    [Affiliate, 'Affiliates.cluster.talos.dev', 'cluster', 'Affiliate', ['affiliate', 'affiliates']],
    [Member, 'Members.cluster.talos.dev', 'cluster', 'Member', ['member', 'members']],
    [Identity, 'Identities.cluster.talos.dev', 'cluster', 'Identity', ['identity', 'identities']],
    [DiscoveryConfig, 'DiscoveryConfigs.cluster.talos.dev', 'config', 'DiscoveryConfig', ['discoveryconfig', 'discoveryconfigs', 'dc', 'dcs']],
    [Info, 'Infos.cluster.talos.dev', 'cluster', 'Info', ['info', 'infos']],
  ] as const)('%s has its type string, namespace, display name and aliases', (t, type, ns, display, aliases) => {
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

  it('creates raw affiliates in cluster-raw', () => {
    const r = Affiliate.create('service/n1', { nodeId: 'n1', addresses: [], hostname: 'h', operatingSystem: '', machineType: 'worker' }, { namespace: 'cluster-raw' });
    expect(r.metadata).toMatchObject({ namespace: 'cluster-raw', type: 'Affiliates.cluster.talos.dev', id: 'service/n1', version: 0 });
  });
});
