import { describe, it, expect, afterEach } from 'vitest';
import {
  APIServerConfigSourceController,
  Affiliate,
  CLUSTER_NAMESPACE,
  CLUSTER_RAW_NAMESPACE,
  ConfigController,
  HostnameSourceController,
  Identity,
  LOCAL_IDENTITY_ID,
  LocalAffiliateController,
  MACHINE_CONFIG_ID,
  MachineConfig,
  MachineTypeSourceController,
  Member,
  NodeAddressSourceController,
  NodenameSourceController,
  parseNodeConfig,
  replaceSpec,
  type AffiliateSpec,
  type MemberSpec,
} from '@cosi-ts/cluster';
import { startRuntime, untilState, type Harness } from '@cosi-ts/cluster/testing';
import { AffiliateMergeController } from './affiliate-merge-controller.ts';
import { MemberController } from './member-controller.ts';

const NODE_YAML = `
machine:
  type: controlplane
  hostname: Node-1.example.org
  network:
    interfaces:
      - interface: eth0
        addresses: [10.5.0.2/24, 10.5.0.2/32, fd00::2/64]
cluster:
  id: cluster1
  secret: kCQsKr4B28VUl7qw1sVkTDNF9fFH++ViIuKsss+C6kc=
  discovery:
    enabled: true
    registries:
      service: { endpoint: http://127.0.0.1:3000/ }
`;

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe('one node: node.yaml to members', () => {
  it('publishes the local node as a member next to the discovered ones, and withdraws it when discovery is disabled', async () => {
    h = startRuntime([
      new ConfigController(),
      new HostnameSourceController({ osHostname: () => 'unused' }),
      new NodenameSourceController(),
      new MachineTypeSourceController(),
      new NodeAddressSourceController({ interfaces: () => ({}) }),
      new APIServerConfigSourceController(),
      new LocalAffiliateController(),
      new AffiliateMergeController(),
      new MemberController(),
    ]);
    const { state } = h;
    const members = Member.kind(CLUSTER_NAMESPACE);
    await state.create(Identity.create(LOCAL_IDENTITY_ID, { nodeId: 'local-id' }));
    await state.create(MachineConfig.create(MACHINE_CONFIG_ID, parseNodeConfig(NODE_YAML)));
    await state.create(
      Affiliate.create('service/w1', { nodeId: 'w1', nodename: 'worker-1', hostname: 'worker-1', machineType: 'worker', operatingSystem: 'Talos (v1.8.0)', addresses: ['10.5.0.3'] }, { namespace: CLUSTER_RAW_NAMESPACE }),
      { owner: 'registry.service' },
    );

    await untilState(state, [members], async () => {
      expect((await state.list(members)).map((m) => m.metadata.id)).toEqual(['node-1', 'worker-1']);
      expect((await state.get<MemberSpec>(Member.pointer('node-1'))).spec).toEqual({
        nodeId: 'local-id',
        addresses: ['10.5.0.2', 'fd00::2'],
        hostname: 'Node-1.example.org',
        machineType: 'controlplane',
        operatingSystem: 'cosi-ts (v0.1.0)',
        controlPlane: { port: 6443 },
      });
    });
    expect((await state.get<AffiliateSpec>(Affiliate.pointer('local-id'))).metadata.owner).toBe('cluster.LocalAffiliateController');

    await state.modify(MachineConfig.pointer(MACHINE_CONFIG_ID), replaceSpec(parseNodeConfig(NODE_YAML.replace('enabled: true', 'enabled: false'))));
    await untilState(state, [members], async () => expect((await state.list(members)).map((m) => m.metadata.id)).toEqual(['worker-1']));
  });
});
