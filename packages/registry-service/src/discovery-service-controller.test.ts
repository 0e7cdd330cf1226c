import {
  AddressStatus,
  Affiliate,
  CLUSTER_NAMESPACE,
  CLUSTER_RAW_NAMESPACE,
  DiscoveryConfig,
  DISCOVERY_CONFIG_ID,
  Identity,
  KubeSpanEndpoint,
  LOCAL_IDENTITY_ID,
  MachineResetSignal,
  MACHINE_RESET_SIGNAL_ID,
  replaceSpec,
  type AffiliateSpec,
  type DiscoveryConfigSpec,
} from '@cosi-ts/cluster';
import { startRuntime, untilState, type Harness } from '@cosi-ts/cluster/testing';
import { ClusterClient } from '@cosi-ts/discovery-api';
import { DiscoveryClient, encryptAffiliate, type DiscoveredAffiliate } from '@cosi-ts/discovery-client';
import { credentials } from '@grpc/grpc-js';
import { DiscoveryService } from '@cosi-ts/discovery-service';
import { firstValueFrom, filter, timeout } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { DiscoveryServiceController } from './discovery-service-controller.ts';

const SECRET = 'kCQsKr4B28VUl7qw1sVkTDNF9fFH++ViIuKsss+C6kc=';
const KEY = Buffer.from(SECRET, 'base64');
const K1 = 'AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=';
const K2 = 'ISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0A=';
const FAST = { initialMs: 20, maxMs: 200 };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function service(addr = '127.0.0.1:0'): Promise<{ svc: DiscoveryService; addr: string }> {
  const svc = new DiscoveryService({ addr, rateLimit: false });
  const bound = await svc.start();
  cleanups.push(() => svc.stop());
  return { svc, addr: bound };
}

function config(endpoint: string, over: Partial<DiscoveryConfigSpec> = {}): DiscoveryConfigSpec {
  return {
    discoveryEnabled: true,
    registryKubernetesEnabled: false,
    registryServiceEnabled: true,
    serviceEndpoint: endpoint,
    serviceEndpointInsecure: true,
    serviceEncryptionKey: SECRET,
    serviceClusterID: 'cluster1',
    ...over,
  };
}

const LOCAL: AffiliateSpec = {
  nodeId: 'A',
  addresses: ['10.5.0.1', 'fd00::1'],
  hostname: 'a.example.org',
  nodename: 'a',
  operatingSystem: 'cosi-ts (v0.1.0)',
  machineType: 'controlplane',
  kubespan: { publicKey: K1, address: 'fd50::1', additionalAddresses: ['10.244.1.0/24'], endpoints: ['10.5.0.1:51820'], excludeAdvertisedNetworks: [] },
  controlPlane: { port: 6443 },
};

async function nodeA(endpoint: string): Promise<{ h: Harness; ctl: DiscoveryServiceController }> {
  const ctl = new DiscoveryServiceController({ backoff: FAST });
  const h = startRuntime([ctl]);
  cleanups.push(() => h.stop());
  await h.state.create(DiscoveryConfig.create(DISCOVERY_CONFIG_ID, config(endpoint)));
  await h.state.create(Identity.create(LOCAL_IDENTITY_ID, { nodeId: 'A' }));
  await h.state.create(Affiliate.create('A', LOCAL), { owner: 'cluster.LocalAffiliateController' });
  return { h, ctl };
}

function peer(endpoint: string, affiliateId = 'B', key: Buffer = KEY): DiscoveryClient {
  const c = new DiscoveryClient({ endpoint, insecure: true, clusterId: 'cluster1', affiliateId, key, clientVersion: 'v1.8.3', backoff: FAST });
  const ac = new AbortController();
  const done = c.run(ac.signal);
  cleanups.push(async () => {
    ac.abort();
    await done;
  });
  return c;
}

const until = (c: DiscoveryClient, check: (l: readonly DiscoveredAffiliate[]) => boolean): Promise<readonly DiscoveredAffiliate[]> =>
  firstValueFrom(c.affiliates$.pipe(filter(check), timeout(10_000)));

const raw = Affiliate.kind(CLUSTER_RAW_NAMESPACE);
const rawIds = async (h: Harness): Promise<string[]> => (await h.state.list(raw)).map((r) => r.metadata.id);

const B_PLAINTEXT = {
  nodeId: 'B',
  addresses: [Buffer.from([192, 168, 3, 5])],
  hostname: 'some.com',
  nodename: 'some',
  machineType: 'worker',
  operatingSystem: 'test OS',
  kubespan: { publicKey: K2, address: Buffer.from('fd508d604238630 2f85723fffe21d1e1'.replace(/ /g, ''), 'hex'), additionalAddresses: [{ ip: Buffer.from([10, 244, 4, 1]), bits: 24 }] },
};

describe('DiscoveryServiceController against the real discovery service', () => {
  it('publishes the local affiliate, turns peers into raw affiliates, and deletes on reset (scenario 10)', async () => {
    const { addr } = await service();
    const { h } = await nodeA(addr);
    const b = peer(addr);
    const seen = await until(b, (l) => l.length === 1);
    expect(seen[0]!.affiliate).toMatchObject({ nodeId: 'A', hostname: 'a.example.org', nodename: 'a', machineType: 'controlplane', controlPlane: { apiServerPort: 6443 } });
    expect(seen[0]!.affiliate.addresses.map((x) => x.toString('hex'))).toEqual(['0a050001', 'fd000000000000000000000000000001']);
    expect(seen[0]!.endpoints.map((e) => `${[...e.ip].join('.')}:${e.port}`)).toEqual(['10.5.0.1:51820']);

    b.setLocalData(B_PLAINTEXT, [{ ip: Buffer.from([192, 168, 3, 5]), port: 51820 }], []);
    const expected: AffiliateSpec = {
      nodeId: 'B',
      addresses: ['192.168.3.5'],
      hostname: 'some.com',
      nodename: 'some',
      operatingSystem: 'test OS',
      machineType: 'worker',
      kubespan: { publicKey: K2, address: 'fd50:8d60:4238:6302:f857:23ff:fe21:d1e1', additionalAddresses: ['10.244.4.1/24'], endpoints: ['192.168.3.5:51820'], excludeAdvertisedNetworks: [] },
    };
    await untilState(h.state, [raw], async () => expect((await h.state.get(Affiliate.pointer('service/B', CLUSTER_RAW_NAMESPACE))).spec).toEqual(expected));
    await untilState(h.state, [AddressStatus.kind()], async () => expect((await h.state.get(AddressStatus.pointer('service'))).spec).toEqual({ address: '127.0.0.1/32' }));

    // A KubeSpan endpoint A observed for B is reported to the service and merged into B's endpoints.
    await h.state.create(KubeSpanEndpoint.create('b-1', { affiliateID: 'B', endpoint: '1.1.1.1:343' }));
    await untilState(h.state, [raw], async () =>
      expect((await h.state.get<AffiliateSpec>(Affiliate.pointer('service/B', CLUSTER_RAW_NAMESPACE))).spec.kubespan?.endpoints).toEqual(['192.168.3.5:51820', '1.1.1.1:343']),
    );
    // Our own update echoes back through the Watch: it is published once per change, never in a loop.
    expect(h.logs('local affiliate published')).toHaveLength(2);

    await h.state.create(MachineResetSignal.create(MACHINE_RESET_SIGNAL_ID, {}));
    await until(b, (l) => l.length === 0);
  });

  it('keeps outputs through a network error, and destroys every output when the registry is disabled', async () => {
    const { svc, addr } = await service();
    const { h } = await nodeA(addr);
    const b = peer(addr);
    b.setLocalData(B_PLAINTEXT, [], []);
    await untilState(h.state, [raw], async () => expect(await rawIds(h)).toEqual(['service/B']));
    await svc.stop();
    await h.logged('Hello failed', 10_000);
    expect(await rawIds(h)).toEqual(['service/B']);
    expect((await h.state.list(AddressStatus.kind())).length).toBe(1);

    await h.state.modify(DiscoveryConfig.pointer(DISCOVERY_CONFIG_ID), replaceSpec(config(addr, { registryServiceEnabled: false })));
    await untilState(h.state, [raw, AddressStatus.kind()], async () => {
      expect(await rawIds(h)).toEqual([]);
      expect(await h.state.list(AddressStatus.kind())).toEqual([]);
    });
  });

  it('re-creates the client on a new endpoint keeping outputs until its snapshot; a new key drops them at once', async () => {
    const one = await service();
    const two = await service();
    const { h } = await nodeA(one.addr);
    peer(one.addr).setLocalData(B_PLAINTEXT, [], []);
    peer(two.addr, 'C').setLocalData({ ...B_PLAINTEXT, nodeId: 'C', hostname: 'c.com', nodename: 'c' }, [], []);
    await untilState(h.state, [raw], async () => expect(await rawIds(h)).toEqual(['service/B']));

    const order: string[] = [];
    const sub = h.state.watchKind(raw).subscribe((e) => order.push("resource" in e ? `${e.type} ${e.resource.metadata.id}` : e.type));
    cleanups.push(() => sub.unsubscribe());
    await h.state.modify(DiscoveryConfig.pointer(DISCOVERY_CONFIG_ID), replaceSpec(config(two.addr)));
    await untilState(h.state, [raw], async () => expect(await rawIds(h)).toEqual(['service/C']));
    // B is kept until the new client's snapshot: C is written before B goes, never an empty gap.
    expect(order.filter((x) => x.startsWith('created') || x.startsWith('destroyed'))).toEqual(['created service/C', 'destroyed service/B']);
    expect(h.logs('discovery client started')).toHaveLength(2);

    await h.state.modify(DiscoveryConfig.pointer(DISCOVERY_CONFIG_ID), replaceSpec(config(two.addr, { serviceEncryptionKey: K2 })));
    await untilState(h.state, [raw], async () => expect(await rawIds(h)).toEqual([]));
    // Under the new key C's blob no longer decrypts: skipped and said so, never written.
    await h.logged('skipped affiliate data that does not decrypt or parse');
    expect(await rawIds(h)).toEqual([]);
  });

  it('keys raw affiliates by the node ID inside the blob: the later server ID wins, the other takes over when it goes', async () => {
    const { addr } = await service();
    const { h } = await nodeA(addr);
    const r = new ClusterClient(addr, credentials.createInsecure());
    cleanups.push(() => r.close());
    const call = (f: (cb: (e: Error | null) => void) => void): Promise<void> => new Promise((resolve, reject) => f((e) => (e ? reject(e) : resolve())));
    const publish = (serverId: string, hostname: string): Promise<void> =>
      call((cb) =>
        r.affiliateUpdate({ clusterId: 'cluster1', affiliateId: serverId, affiliateData: encryptAffiliate(KEY, { ...B_PLAINTEXT, hostname }), affiliateEndpoints: [], ttl: { seconds: 600n, nanos: 0 } }, cb),
      );
    const remove = (serverId: string): Promise<void> => call((cb) => r.affiliateDelete({ clusterId: 'cluster1', affiliateId: serverId }, cb));
    const hostnameOfB = async (): Promise<string | undefined> =>
      (await h.state.list<AffiliateSpec>(raw)).find((x) => x.metadata.id === 'service/B')?.spec.hostname;

    await publish('B', 'from-b.com');
    await untilState(h.state, [raw], async () => expect(await hostnameOfB()).toBe('from-b.com'));
    await publish('Z', 'from-z.com'); // another server ID claiming node B: later by ID wins
    await untilState(h.state, [raw], async () => expect(await hostnameOfB()).toBe('from-z.com'));
    await remove('Z');
    await untilState(h.state, [raw], async () => expect(await hostnameOfB()).toBe('from-b.com'));
    await remove('B');
    await untilState(h.state, [raw], async () => expect(await rawIds(h)).toEqual([]));
  });

  it('a bad key is a controller error naming the rule, not a silent stop', async () => {
    const { addr } = await service();
    const ctl = new DiscoveryServiceController({ backoff: FAST });
    const h = startRuntime([ctl]);
    cleanups.push(() => h.stop());
    await h.state.create(DiscoveryConfig.create(DISCOVERY_CONFIG_ID, config(addr, { serviceEncryptionKey: 'c2hvcnQ=' })));
    await h.state.create(Identity.create(LOCAL_IDENTITY_ID, { nodeId: 'A' }));
    await h.state.create(Affiliate.create('A', LOCAL), { owner: 'cluster.LocalAffiliateController' });
    expect(JSON.stringify(await h.logged('must be 32 bytes (got 5)'))).toContain('DiscoveryServiceController');
    expect(await h.state.list(Affiliate.kind(CLUSTER_NAMESPACE))).toHaveLength(1);
  });
});
