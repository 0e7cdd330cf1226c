import { describe, it, expect, afterEach } from 'vitest';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Resource } from '@cosi-ts/resource';
import { isNotFound } from '@cosi-ts/state';
import { AddressStatus } from './address-status.ts';
import { Affiliate } from './affiliate.ts';
import type { AffiliateSpec } from './affiliate-spec.ts';
import { APIServerConfig, API_SERVER_CONFIG_ID } from './api-server-config.ts';
import { DiscoveryConfig, DISCOVERY_CONFIG_ID, type DiscoveryConfigSpec } from './discovery-config.ts';
import { HostnameStatus, HOSTNAME_STATUS_ID } from './hostname-status.ts';
import { Identity, LOCAL_IDENTITY_ID } from './identity.ts';
import { KubeSpanConfig, KUBESPAN_CONFIG_ID, type KubeSpanConfigSpec } from './kubespan-config.ts';
import { KubeSpanConfigSourceController } from './kubespan-config-source-controller.ts';
import { KubeSpanIdentity, KUBESPAN_IDENTITY_ID, type KubeSpanIdentitySpec } from './kubespan-identity.ts';
import { KubeSpanIdentityController } from './kubespan-identity-controller.ts';
import { kubeSpanAddress } from './kubespan-address.ts';
import { KUBESPAN_KEY_FILE, wireGuardPublicKey } from './kubespan-key.ts';
import { LocalAffiliateController } from './local-affiliate-controller.ts';
import { MachineConfig, MACHINE_CONFIG_ID } from './machine-config.ts';
import { MachineTypeResource, MACHINE_TYPE_ID } from './machine-type-resource.ts';
import { NodeAddress, NODE_ADDRESS_CURRENT_NO_K8S, NODE_ADDRESS_ROUTED_NO_K8S } from './node-address.ts';
import { parseNodeConfig } from './node-config.ts';
import { NodeStatus } from './node-status.ts';
import { Nodename, NODENAME_ID } from './nodename.ts';
import { startRuntime, type Harness } from './testing/harness.ts';
import { untilState } from './testing/until-state.ts';

const K1 = 'AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=';
const KS_ADDR = 'fd50:8d60:4238:6302:f857:23ff:fe21:d1e0';
const CURRENT = [
  '172.20.0.2/24',
  '10.5.0.1/32',
  '192.168.192.168/24',
  '2001:123:4567::1/64',
  '2001:123:4567::1/128',
  'fdae:41e4:649b:9303:60be:7e36:c270:3238/128',
];
const ROUTED = CURRENT.slice(0, 5);
const ENABLED: DiscoveryConfigSpec = {
  discoveryEnabled: true,
  registryKubernetesEnabled: false,
  registryServiceEnabled: true,
  serviceEndpoint: 'discovery.talos.dev:443',
  serviceEndpointInsecure: false,
  serviceEncryptionKey: 'kCQsKr4B28VUl7qw1sVkTDNF9fFH++ViIuKsss+C6kc=',
  serviceClusterID: 'cluster1',
};

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

async function put<S>(hh: Harness, r: Resource<S>): Promise<void> {
  await hh.state.modify(r, (d) => {
    d.spec = r.spec as typeof d.spec;
  });
}

async function localAffiliate(hh: Harness, nodeId: string, check: (a: AffiliateSpec) => void): Promise<void> {
  await untilState(hh.state, [Affiliate.kind()], async () => check((await hh.state.get<AffiliateSpec>(Affiliate.pointer(nodeId))).spec));
}

async function seedWorker(hh: Harness): Promise<void> {
  await put(hh, DiscoveryConfig.create(DISCOVERY_CONFIG_ID, ENABLED));
  await put(hh, Identity.create(LOCAL_IDENTITY_ID, { nodeId: 'node-a' }));
  await put(hh, HostnameStatus.create(HOSTNAME_STATUS_ID, { hostname: 'example1', domainname: '' }));
  await put(hh, Nodename.create(NODENAME_ID, { nodename: 'example1.com' }));
  await put(hh, NodeAddress.create(NODE_ADDRESS_CURRENT_NO_K8S, { addresses: CURRENT }));
  await put(hh, NodeAddress.create(NODE_ADDRESS_ROUTED_NO_K8S, { addresses: ROUTED }));
}

describe('LocalAffiliateController', () => {
  it('8. waits for every required input, then writes the worker affiliate; KubeSpan data once both inputs exist', async () => {
    h = startRuntime([new LocalAffiliateController()]);
    await seedWorker(h);
    // MachineType is still missing: nothing may be written yet.
    expect(await h.state.list(Affiliate.kind())).toEqual([]);
    await put(h, MachineTypeResource.create(MACHINE_TYPE_ID, { machineType: 'worker' }));
    await localAffiliate(h, 'node-a', (a) =>
      expect(a).toEqual({
        nodeId: 'node-a',
        addresses: ['172.20.0.2', '10.5.0.1', '192.168.192.168', '2001:123:4567::1'],
        hostname: 'example1',
        nodename: 'example1.com',
        operatingSystem: 'cosi-ts (v0.1.0)',
        machineType: 'worker',
      }),
    );

    await put(h, KubeSpanIdentity.create(KUBESPAN_IDENTITY_ID, { address: `${KS_ADDR}/128`, publicKey: K1 }));
    await put(h, NodeAddress.create(NODE_ADDRESS_ROUTED_NO_K8S, { addresses: [...ROUTED, `${KS_ADDR}/128`] }));
    const ksConfig: KubeSpanConfigSpec = {
      enabled: true,
      endpointFilters: ['0.0.0.0/0', '!192.168.0.0/16', '2001::/16'],
      advertiseKubernetesNetworks: true,
      extraEndpoints: ['10.5.0.1:51820', '1.2.3.4:5678'],
      excludeAdvertisedNetworks: ['2001:123:4567::/64'],
    };
    await put(h, KubeSpanConfig.create(KUBESPAN_CONFIG_ID, ksConfig));
    await put(h, NodeStatus.create('example1.com', { podCIDRs: ['10.244.1.0/24'] }));
    await put(h, AddressStatus.create('service', { address: '1.1.1.1/32' }));
    await put(h, AddressStatus.create('other', { address: '2001:123:4567::1/128' }));
    await localAffiliate(h, 'node-a', (a) => {
      expect(a.addresses).toEqual(['172.20.0.2', '10.5.0.1', '192.168.192.168', '2001:123:4567::1', KS_ADDR]);
      expect(a.kubespan).toEqual({
        publicKey: K1,
        address: KS_ADDR,
        additionalAddresses: ['10.244.1.0/24'],
        excludeAdvertisedNetworks: ['2001:123:4567::/64'],
        endpoints: ['172.20.0.2:51820', '10.5.0.1:51820', '1.1.1.1:51820', '[2001:123:4567::1]:51820', '1.2.3.4:5678'],
      });
    });

    await put(h, KubeSpanConfig.create(KUBESPAN_CONFIG_ID, { ...ksConfig, advertiseKubernetesNetworks: false }));
    await localAffiliate(h, 'node-a', (a) => expect(a.kubespan?.additionalAddresses).toEqual([]));

    await put(h, DiscoveryConfig.create(DISCOVERY_CONFIG_ID, { ...ENABLED, discoveryEnabled: false }));
    await untilState(h.state, [Affiliate.kind()], async () =>
      expect(await h!.state.get(Affiliate.pointer('node-a')).catch((e: unknown) => e)).toSatisfy(isNotFound),
    );
  });

  it('9. controlplane with APIServerConfig 6445 advertises controlPlane.port; a new NodeID replaces the old affiliate', async () => {
    h = startRuntime([new LocalAffiliateController()]);
    await seedWorker(h);
    await put(h, MachineTypeResource.create(MACHINE_TYPE_ID, { machineType: 'controlplane' }));
    await put(h, APIServerConfig.create(API_SERVER_CONFIG_ID, { localPort: 6445 }));
    await localAffiliate(h, 'node-a', (a) => {
      expect(a.controlPlane).toEqual({ port: 6445 });
      expect(a.machineType).toBe('controlplane');
      expect(a.kubespan).toBeUndefined();
    });
    await put(h, Identity.create(LOCAL_IDENTITY_ID, { nodeId: 'node-b' }));
    await untilState(h.state, [Affiliate.kind()], async () =>
      expect((await h!.state.list(Affiliate.kind())).map((r) => r.metadata.id)).toEqual(['node-b']),
    );
  });

  it('a required input that goes away leaves the written affiliate untouched', async () => {
    h = startRuntime([new LocalAffiliateController()]);
    await seedWorker(h);
    await put(h, MachineTypeResource.create(MACHINE_TYPE_ID, { machineType: 'worker' }));
    await localAffiliate(h, 'node-a', (a) => expect(a.nodename).toBe('example1.com'));
    const before = await h.state.get(Affiliate.pointer('node-a'));
    const waited = h.nextLogged('waiting for inputs');
    await h.state.destroy(Nodename.pointer(NODENAME_ID));
    await waited;
    const after = await h.state.get(Affiliate.pointer('node-a'));
    expect(after.metadata.version).toBe(before.metadata.version);
    expect(after.spec).toEqual(before.spec);
  });

  it('never touches affiliates it does not own', async () => {
    h = startRuntime([new LocalAffiliateController()]);
    await h.state.create(Affiliate.create('merged', { nodeId: 'merged', addresses: [], hostname: 'x', operatingSystem: '', machineType: 'worker' }), { owner: 'someone-else' });
    await seedWorker(h);
    await put(h, MachineTypeResource.create(MACHINE_TYPE_ID, { machineType: 'worker' }));
    await localAffiliate(h, 'node-a', (a) => expect(a.nodeId).toBe('node-a'));
    expect((await h.state.list(Affiliate.kind())).map((r) => r.metadata.id)).toEqual(['merged', 'node-a']);
  });
});

describe('KubeSpan sources', () => {
  it('generates the WireGuard key once (0600 in the state dir) and advertises its public key and Talos address', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cosi-kubespan-'));
    try {
      const mac = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);
      const text = 'machine:\n  kubespan:\n    enabled: true\n    filters:\n      endpoints: ["0.0.0.0/0"]\ncluster:\n  id: cluster1\n';
      const spec = parseNodeConfig(text);
      h = startRuntime([new KubeSpanIdentityController({ stateDir: dir, macAddress: () => mac }), new KubeSpanConfigSourceController()]);
      await h.state.create(MachineConfig.create(MACHINE_CONFIG_ID, spec));
      const identity = await untilState(h.state, [KubeSpanIdentity.kind()], async () =>
        (await h!.state.get<KubeSpanIdentitySpec>(KubeSpanIdentity.pointer(KUBESPAN_IDENTITY_ID))).spec,
      );
      const file = join(dir, KUBESPAN_KEY_FILE);
      const privateKey = /^privateKey: (\S+)\n$/.exec(await readFile(file, 'utf8'))?.[1];
      expect(privateKey).toBeDefined();
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(identity.publicKey).toBe(wireGuardPublicKey(privateKey!));
      expect(Buffer.from(identity.publicKey, 'base64')).toHaveLength(32);
      expect(identity.address).toBe(kubeSpanAddress('cluster1', mac));
      expect(identity.address).toMatch(/^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{0,2}02:5054:ff:fe12:3456\/128$/);
      await untilState(h.state, [KubeSpanConfig.kind()], async () =>
        expect((await h!.state.get(KubeSpanConfig.pointer(KUBESPAN_CONFIG_ID))).spec).toEqual({
          enabled: true,
          advertiseKubernetesNetworks: false,
          endpointFilters: ['0.0.0.0/0'],
          extraEndpoints: [],
          excludeAdvertisedNetworks: [],
        }),
      );
      await h.stop();

      // A restart keeps the key.
      h = startRuntime([new KubeSpanIdentityController({ stateDir: dir, macAddress: () => mac })]);
      await h.state.create(MachineConfig.create(MACHINE_CONFIG_ID, spec));
      const again = await untilState(h.state, [KubeSpanIdentity.kind()], async () =>
        (await h!.state.get<KubeSpanIdentitySpec>(KubeSpanIdentity.pointer(KUBESPAN_IDENTITY_ID))).spec,
      );
      expect(again).toEqual(identity);

      // Disabled → both gone.
      await h.state.modify(MachineConfig.pointer(MACHINE_CONFIG_ID), (d) => {
        d.spec = parseNodeConfig('cluster:\n  id: cluster1\n');
      });
      await untilState(h.state, [KubeSpanIdentity.kind()], async () =>
        expect(await h!.state.get(KubeSpanIdentity.pointer(KUBESPAN_IDENTITY_ID)).catch((e: unknown) => e)).toSatisfy(isNotFound),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
