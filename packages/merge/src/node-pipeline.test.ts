import { describe, it, expect, afterEach } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AddressStatus,
  KUBESPAN_KEY_FILE,
  KubeSpanConfigSourceController,
  KubeSpanIdentityController,
  kubeSpanAddress,
  wireGuardPublicKey,
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

  it('advertises KubeSpan data from machine.kubespan: the state-dir key, the Talos address, filtered endpoints', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cosi-pipeline-ks-'));
    try {
      const mac = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);
      const yaml = NODE_YAML.replace(
        'machine:\n',
        'machine:\n  kubespan:\n    enabled: true\n    filters:\n      endpoints: ["10.0.0.0/8", "!10.5.0.9"]\n    extraEndpoints: ["1.2.3.4:5678"]\n',
      ).replace('addresses: [10.5.0.2/24, 10.5.0.2/32, fd00::2/64]', 'addresses: [10.5.0.2/24, 192.168.1.2/24, 10.5.0.9/24, fd00::2/64]');
      h = startRuntime([
        new ConfigController(),
        new HostnameSourceController({ osHostname: () => 'unused' }),
        new NodenameSourceController(),
        new MachineTypeSourceController(),
        new NodeAddressSourceController({ interfaces: () => ({}) }),
        new APIServerConfigSourceController(),
        new KubeSpanConfigSourceController(),
        new KubeSpanIdentityController({ stateDir: dir, macAddress: () => mac }),
        new LocalAffiliateController(),
      ]);
      const { state } = h;
      await state.create(Identity.create(LOCAL_IDENTITY_ID, { nodeId: 'local-id' }));
      await state.create(MachineConfig.create(MACHINE_CONFIG_ID, parseNodeConfig(yaml)));
      await state.create(AddressStatus.create('service', { address: '10.99.0.1/32' }));
      const kubespan = await untilState(state, [Affiliate.kind(CLUSTER_NAMESPACE)], async () => {
        const k = (await state.get<AffiliateSpec>(Affiliate.pointer('local-id'))).spec.kubespan;
        expect(k?.endpoints).toEqual(['10.5.0.2:51820', '10.99.0.1:51820', '1.2.3.4:5678']);
        return k!;
      });
      const privateKey = /^privateKey: (\S+)\n$/.exec(await readFile(join(dir, KUBESPAN_KEY_FILE), 'utf8'))?.[1];
      expect(kubespan).toEqual({
        publicKey: wireGuardPublicKey(privateKey!),
        address: kubeSpanAddress('cluster1', mac).replace('/128', ''),
        additionalAddresses: [],
        endpoints: ['10.5.0.2:51820', '10.99.0.1:51820', '1.2.3.4:5678'],
        excludeAdvertisedNetworks: [],
      });
    } finally {
      await h?.stop();
      h = undefined;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
