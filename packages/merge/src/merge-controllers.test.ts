import { describe, it, expect, afterEach } from 'vitest';
import type { Resource } from '@cosi-ts/resource';
import type { Runtime } from '@cosi-ts/runtime';
import { InMemoryState, isNotFound } from '@cosi-ts/state';
import {
  Affiliate,
  CLUSTER_NAMESPACE,
  CLUSTER_RAW_NAMESPACE,
  Identity,
  LOCAL_IDENTITY_ID,
  Member,
  type AffiliateSpec,
  type IdentitySpec,
  type MemberSpec,
} from '@cosi-ts/cluster';
import { startRuntime, untilState, type Harness } from '@cosi-ts/cluster/testing';
import { AffiliateMergeController } from './affiliate-merge-controller.ts';
import { MemberController } from './member-controller.ts';

const K1 = 'AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=';
const KS_CP1 = {
  publicKey: K1,
  address: 'fd50:8d60:4238:6302:f857:23ff:fe21:d1e0',
  additionalAddresses: ['10.244.3.1/24'],
  endpoints: ['10.0.0.2:51820', '192.168.3.4:51820'],
  excludeAdvertisedNetworks: [],
};
const k8sCp1: AffiliateSpec = {
  nodeId: 'cp1',
  hostname: 'foo.com',
  nodename: 'bar',
  machineType: 'controlplane',
  operatingSystem: 'Talos (v1.8.0)',
  addresses: ['192.168.3.4'],
  kubespan: KS_CP1,
  controlPlane: { port: 6443 },
};
const serviceCp1: AffiliateSpec = {
  nodeId: 'cp1',
  hostname: 'foo.com',
  nodename: 'bar',
  machineType: 'controlplane',
  operatingSystem: 'Talos (v1.8.0)',
  addresses: ['192.168.3.4', '10.5.0.2'],
};
const serviceW1: AffiliateSpec = {
  nodeId: 'w1',
  hostname: 'worker-1',
  nodename: 'worker-1',
  machineType: 'worker',
  operatingSystem: 'Talos (v1.8.0)',
  addresses: ['192.168.3.5'],
};

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** Writes a raw affiliate as a registry would (its own owner). */
async function putRaw(hh: Harness, id: string, spec: AffiliateSpec, owner = 'registry'): Promise<void> {
  await hh.state.modify(Affiliate.create(id, spec, { namespace: CLUSTER_RAW_NAMESPACE }), (d) => {
    d.spec = spec as typeof d.spec;
  }, { owner });
}

const rawPtr = (id: string) => Affiliate.pointer(id, CLUSTER_RAW_NAMESPACE);
const mergedPtr = (id: string) => Affiliate.pointer(id, CLUSTER_NAMESPACE);
const memberPtr = (id: string) => Member.pointer(id, CLUSTER_NAMESPACE);

async function until(hh: Harness, check: () => Promise<void>): Promise<void> {
  await untilState(hh.state, [Affiliate.kind(CLUSTER_NAMESPACE), Member.kind(CLUSTER_NAMESPACE)], check);
}

const getSpec = async <S>(hh: Harness, ptr: { namespace: string; type: string; id: string }): Promise<S> => (await hh.state.get<S>(ptr)).spec;
const absent = async (hh: Harness, ptr: { namespace: string; type: string; id: string }) =>
  expect(await hh.state.get(ptr).catch((e: unknown) => e)).toSatisfy(isNotFound);
const ids = (rs: readonly Resource[]) => rs.map((r) => r.metadata.id);

async function writesOf(rt: Runtime, controller: string): Promise<number> {
  const metric = await rt.metrics.getSingleMetric('cosi_controller_writes_total')?.get();
  return metric?.values.find((v) => v.labels['controller'] === controller)?.value ?? 0;
}

describe('AffiliateMergeController (scenario 11)', () => {
  it('merges k8s and service views per node, service winning on scalars, and follows raw changes', async () => {
    h = startRuntime([new AffiliateMergeController()]);
    await putRaw(h, 'k8s/cp1', k8sCp1);
    await putRaw(h, 'service/cp1', serviceCp1);
    await putRaw(h, 'service/w1', serviceW1);
    await until(h, async () => {
      expect(await getSpec(h!, mergedPtr('cp1'))).toEqual({ ...k8sCp1, addresses: ['192.168.3.4', '10.5.0.2'] });
      expect(await getSpec(h!, mergedPtr('w1'))).toEqual(serviceW1);
    });

    await h.state.destroy(rawPtr('k8s/cp1'), { owner: 'registry' });
    await until(h, async () => {
      const cp1 = await getSpec<AffiliateSpec>(h!, mergedPtr('cp1'));
      expect(cp1).toEqual(serviceCp1);
      expect(cp1.kubespan).toBeUndefined();
      expect(cp1.controlPlane).toBeUndefined();
    });

    await h.state.destroy(rawPtr('service/w1'), { owner: 'registry' });
    await until(h, async () => absent(h!, mergedPtr('w1')));
    expect(ids(await h.state.list(Affiliate.kind(CLUSTER_NAMESPACE)))).toEqual(['cp1']);
  });

  it('lets the service registry win on scalars (k8s/ sorts before service/)', async () => {
    h = startRuntime([new AffiliateMergeController()]);
    await putRaw(h, 'service/n1', { ...serviceW1, nodeId: 'n1', hostname: 'from-service', machineType: 'worker' });
    await putRaw(h, 'k8s/n1', { ...serviceW1, nodeId: 'n1', hostname: 'from-k8s', machineType: 'controlplane', addresses: ['10.0.0.9'] });
    await until(h, async () =>
      expect(await getSpec(h!, mergedPtr('n1'))).toMatchObject({ hostname: 'from-service', machineType: 'worker', addresses: ['10.0.0.9', '192.168.3.5'] }),
    );
  });

  it('never touches the local affiliate, and releases a merged one that becomes local', async () => {
    h = startRuntime([new AffiliateMergeController()]);
    await h.state.create(Identity.create(LOCAL_IDENTITY_ID, { nodeId: 'me' }));
    const local = Affiliate.create('me', { ...serviceW1, nodeId: 'me', hostname: 'local' });
    await h.state.create(local, { owner: 'cluster.LocalAffiliateController' });
    await putRaw(h, 'service/me', { ...serviceW1, nodeId: 'me', hostname: 'echo-from-service' });
    await putRaw(h, 'service/w1', serviceW1);
    await until(h, async () => expect(await getSpec(h!, mergedPtr('w1'))).toEqual(serviceW1));
    const stored = await h.state.get<AffiliateSpec>(mergedPtr('me'));
    expect(stored.spec.hostname).toBe('local');
    expect(stored.metadata.version).toBe(1);

    await h.state.modify<IdentitySpec>(Identity.pointer(LOCAL_IDENTITY_ID), (d) => {
      d.spec.nodeId = 'w1';
    });
    await until(h, async () => absent(h!, mergedPtr('w1')));

    // The old local ID is now a remote node: once LocalAffiliateController has dropped its
    // affiliate, the merged view of it appears.
    await h.state.destroy(mergedPtr('me'), { owner: 'cluster.LocalAffiliateController' });
    await until(h, async () => {
      const me = await h!.state.get<AffiliateSpec>(mergedPtr('me'));
      expect(me.spec.hostname).toBe('echo-from-service');
      expect(me.metadata.owner).toBe('merge.AffiliateMergeController');
    });
  });

  it('cleans up merged affiliates it owned in an earlier run', async () => {
    h = startRuntime([new AffiliateMergeController()]);
    await h.state.create(Affiliate.create('stale', serviceW1), { owner: 'merge.AffiliateMergeController' });
    await h.state.create(Affiliate.create('foreign', serviceW1), { owner: 'someone' });
    await putRaw(h, 'service/w1', serviceW1);
    await until(h, async () => expect(ids(await h!.state.list(Affiliate.kind(CLUSTER_NAMESPACE)))).toEqual(['foreign', 'w1']));
  });

  it('cleans up after an earlier run even when no raw affiliate exists', async () => {
    h = startRuntime([new AffiliateMergeController()]);
    await h.state.create(Affiliate.create('stale', serviceW1), { owner: 'merge.AffiliateMergeController' });
    await h.state.create(Affiliate.create('foreign', serviceW1), { owner: 'someone' });
    await until(h, async () => expect(ids(await h!.state.list(Affiliate.kind(CLUSTER_NAMESPACE)))).toEqual(['foreign']));
  });

  it('is incremental: one raw change recomputes and writes only its node and its member', async () => {
    h = startRuntime([new AffiliateMergeController(), new MemberController()]);
    for (let i = 0; i < 50; i++) {
      await putRaw(h, `service/n${i}`, { ...serviceW1, nodeId: `n${i}`, nodename: `node-${i}` });
      await putRaw(h, `k8s/n${i}`, { ...serviceW1, nodeId: `n${i}`, nodename: `node-${i}`, addresses: [`10.0.0.${i}`] });
    }
    await until(h, async () => {
      expect(await h!.state.list(Member.kind(CLUSTER_NAMESPACE))).toHaveLength(50);
      for (let i = 0; i < 50; i++) expect((await getSpec<MemberSpec>(h!, memberPtr(`node-${i}`))).addresses).toEqual([`10.0.0.${i}`, '192.168.3.5']);
    });
    const hh = h;
    const mergedLogs = () => hh.logs('merged affiliate recomputed').map((r) => r['nodeId']);
    const memberLogs = () => hh.logs('member recomputed').map((r) => r['nodename']);
    const mergedBefore = mergedLogs().length;
    const membersBefore = memberLogs().length;
    const writesBefore = await writesOf(h.rt, 'merge.AffiliateMergeController');

    await putRaw(h, 'service/n7', { ...serviceW1, nodeId: 'n7', nodename: 'node-7', addresses: ['192.168.3.77'] });
    await until(h, async () => expect((await getSpec<MemberSpec>(h!, memberPtr('node-7'))).addresses).toEqual(['10.0.0.7', '192.168.3.77']));
    expect(await writesOf(h.rt, 'merge.AffiliateMergeController')).toBe(writesBefore + 1);
    // A second change as a barrier: jobs run one at a time, so anything the first change still had
    // queued would be logged before the second change's recompute.
    await putRaw(h, 'service/n8', { ...serviceW1, nodeId: 'n8', nodename: 'node-8', addresses: ['192.168.3.88'] });
    await until(h, async () => expect((await getSpec<MemberSpec>(h!, memberPtr('node-8'))).addresses).toEqual(['10.0.0.8', '192.168.3.88']));
    expect(mergedLogs().slice(mergedBefore)).toEqual(['n7', 'n8']);
    expect(memberLogs().slice(membersBefore)).toEqual(['node-7', 'node-8']);
  });
});

describe('MemberController (scenario 12)', () => {
  const cp1: AffiliateSpec = { ...k8sCp1, addresses: ['192.168.3.4', '10.5.0.2'] };

  it('makes a member per affiliate with a nodename and removes it with the affiliate', async () => {
    h = startRuntime([new MemberController()]);
    await h.state.create(Affiliate.create('cp1', cp1));
    await h.state.create(Affiliate.create('w1', serviceW1));
    await h.state.create(Affiliate.create('x1', { nodeId: 'x1', hostname: 'x1', operatingSystem: 'os', machineType: 'worker', addresses: [] }));
    await until(h, async () => {
      expect(await getSpec<MemberSpec>(h!, memberPtr('bar'))).toEqual({
        nodeId: 'cp1',
        addresses: ['192.168.3.4', '10.5.0.2'],
        hostname: 'foo.com',
        machineType: 'controlplane',
        operatingSystem: 'Talos (v1.8.0)',
        controlPlane: { port: 6443 },
      });
      expect(ids(await h!.state.list(Member.kind(CLUSTER_NAMESPACE)))).toEqual(['bar', 'worker-1']);
    });
    await h.state.destroy(Affiliate.pointer('w1'));
    await until(h, async () => expect(ids(await h!.state.list(Member.kind(CLUSTER_NAMESPACE)))).toEqual(['bar']));
  });

  it('removes members left by an earlier run that no affiliate carries', async () => {
    const state = new InMemoryState();
    await state.create(Member.create('ghost', { nodeId: 'g', addresses: [], hostname: 'ghost', machineType: 'worker', operatingSystem: '' }), { owner: 'merge.MemberController' });
    await state.create(Member.create('worker-1', { nodeId: 'old', addresses: [], hostname: 'old', machineType: 'worker', operatingSystem: '' }), { owner: 'merge.MemberController' });
    await state.create(Affiliate.create('w1', serviceW1));
    h = startRuntime([new MemberController()], state);
    await until(h, async () => {
      expect(ids(await h!.state.list(Member.kind(CLUSTER_NAMESPACE)))).toEqual(['worker-1']);
      expect((await getSpec<MemberSpec>(h!, memberPtr('worker-1'))).nodeId).toBe('w1');
    });
  });

  it('resolves duplicate nodenames to the later affiliate by ID, with a warning, and moves on renames', async () => {
    h = startRuntime([new MemberController()]);
    await h.state.create(Affiliate.create('a1', { ...serviceW1, nodeId: 'a1', nodename: 'dup' }));
    await h.state.create(Affiliate.create('b1', { ...serviceW1, nodeId: 'b1', nodename: 'dup' }));
    await until(h, async () => expect((await getSpec<MemberSpec>(h!, memberPtr('dup'))).nodeId).toBe('b1'));
    expect(await h.logged('several affiliates share a nodename')).toMatchObject({ nodename: 'dup', winner: 'b1' });

    await h.state.modify<AffiliateSpec>(Affiliate.pointer('b1'), (d) => {
      d.spec.nodename = 'renamed';
    });
    await until(h, async () => {
      expect((await getSpec<MemberSpec>(h!, memberPtr('dup'))).nodeId).toBe('a1');
      expect((await getSpec<MemberSpec>(h!, memberPtr('renamed'))).nodeId).toBe('b1');
    });
  });
});

describe('merge + members over a Runtime (issue 4 "done when")', () => {
  it('turns registry-fed raw affiliates into affiliates and members that appear, change and disappear', async () => {
    h = startRuntime([new AffiliateMergeController(), new MemberController()]);
    await h.state.create(Identity.create(LOCAL_IDENTITY_ID, { nodeId: 'me' }));
    await h.state.create(
      Affiliate.create('me', { nodeId: 'me', nodename: 'local-node', hostname: 'local-node', machineType: 'controlplane', operatingSystem: 'cosi-ts (v0.1.0)', addresses: ['10.5.0.1'] }),
      { owner: 'cluster.LocalAffiliateController' },
    );
    // Registries: the service registry sees cp1 and w1; Kubernetes sees cp1 with KubeSpan data; the
    // service registry also echoes our own affiliate back, which must not replace the local one.
    await putRaw(h, 'service/cp1', serviceCp1, 'registry.service');
    await putRaw(h, 'service/w1', serviceW1, 'registry.service');
    await putRaw(h, 'service/me', { nodeId: 'me', nodename: 'local-node', hostname: 'echo', machineType: 'controlplane', operatingSystem: 'x', addresses: [] }, 'registry.service');
    await putRaw(h, 'k8s/cp1', k8sCp1, 'registry.k8s');

    await until(h, async () => {
      expect(ids(await h!.state.list(Affiliate.kind(CLUSTER_NAMESPACE)))).toEqual(['cp1', 'me', 'w1']);
      expect(ids(await h!.state.list(Member.kind(CLUSTER_NAMESPACE)))).toEqual(['bar', 'local-node', 'worker-1']);
      expect(await getSpec(h!, memberPtr('bar'))).toEqual({
        nodeId: 'cp1',
        addresses: ['192.168.3.4', '10.5.0.2'],
        hostname: 'foo.com',
        machineType: 'controlplane',
        operatingSystem: 'Talos (v1.8.0)',
        controlPlane: { port: 6443 },
      });
      expect((await getSpec<MemberSpec>(h!, memberPtr('local-node'))).hostname).toBe('local-node');
    });

    // Change: w1 gets a new address from the service registry.
    await putRaw(h, 'service/w1', { ...serviceW1, addresses: ['192.168.3.5', '10.5.0.3'] }, 'registry.service');
    await until(h, async () => expect((await getSpec<MemberSpec>(h!, memberPtr('worker-1'))).addresses).toEqual(['192.168.3.5', '10.5.0.3']));

    // Change: Kubernetes loses cp1 → KubeSpan and controlPlane go away, the member stays.
    await h.state.destroy(rawPtr('k8s/cp1'), { owner: 'registry.k8s' });
    await until(h, async () => {
      expect((await getSpec<AffiliateSpec>(h!, mergedPtr('cp1'))).kubespan).toBeUndefined();
      expect(await getSpec<MemberSpec>(h!, memberPtr('bar'))).not.toHaveProperty('controlPlane');
    });

    // Disappear: w1 leaves every registry.
    await h.state.destroy(rawPtr('service/w1'), { owner: 'registry.service' });
    await until(h, async () => {
      await absent(h!, mergedPtr('w1'));
      await absent(h!, memberPtr('worker-1'));
    });
    expect(ids(await h.state.list(Member.kind(CLUSTER_NAMESPACE)))).toEqual(['bar', 'local-node']);
    expect((await h.state.get<AffiliateSpec>(mergedPtr('me'))).spec.hostname).toBe('local-node');
  });
});
