import { describe, it, expect } from 'vitest';
import type { Kind, Pointer, Recipe, Resource } from '@cosi-ts/resource';
import type { QContext, ReducedMetadata } from '@cosi-ts/runtime';
import { InMemoryState } from '@cosi-ts/state';
import { Affiliate, CLUSTER_NAMESPACE, CLUSTER_RAW_NAMESPACE, Identity, LOCAL_IDENTITY_ID, type AffiliateSpec, type IdentitySpec } from '@cosi-ts/cluster';
import { AffiliateMergeController } from './affiliate-merge-controller.ts';

/** Just the context calls the controller makes, straight on a State: lets a test order jobs by hand. */
function directContext(state: InMemoryState, owner: string): QContext {
  const ctx = {
    name: owner,
    logger: { debug: () => undefined, info: () => undefined, warn: () => undefined },
    get: (ptr: Pointer) => state.get(ptr),
    list: (kind: Kind) => state.list(kind),
    modify: <S>(target: Pointer | Resource<S>, recipe: Recipe<S>) => state.modify(target, recipe, { owner }),
    destroy: (ptr: Pointer) => state.destroy(ptr, { owner }),
  };
  return ctx as unknown as QContext;
}

const spec = (nodeId: string, hostname: string): AffiliateSpec => ({ nodeId, hostname, nodename: hostname, machineType: 'worker', operatingSystem: 'os', addresses: [] });
const raw = (id: string) => Affiliate.pointer(id, CLUSTER_RAW_NAMESPACE);
const identityEvent: ReducedMetadata = { namespace: CLUSTER_NAMESPACE, type: Identity.type, id: LOCAL_IDENTITY_ID, phase: 'running', labels: {}, finalizersEmpty: true };

describe('AffiliateMergeController.mapInput', () => {
  it('still sees a local NodeID change when a reconcile ran between the change and mapInput', async () => {
    const state = new InMemoryState();
    const c = new AffiliateMergeController();
    const ctx = directContext(state, c.name);
    await state.create(Identity.create(LOCAL_IDENTITY_ID, { nodeId: 'a' }));
    await state.create(Affiliate.create('service/a', spec('a', 'old-local'), { namespace: CLUSTER_RAW_NAMESPACE }), { owner: 'registry' });
    await state.create(Affiliate.create('service/b', spec('b', 'remote'), { namespace: CLUSTER_RAW_NAMESPACE }), { owner: 'registry' });
    await c.runHook(ctx);
    await c.reconcile(ctx, raw('service/a'));
    await c.reconcile(ctx, raw('service/b'));
    expect((await state.list(Affiliate.kind(CLUSTER_NAMESPACE))).map((r) => r.metadata.id)).toEqual(['b']);

    await state.modify<IdentitySpec>(Identity.pointer(LOCAL_IDENTITY_ID), (d) => {
      d.spec.nodeId = 'b';
    });
    // Another event's job runs first and already reads the new local ID...
    await c.reconcile(ctx, raw('service/b'));
    expect(await state.list(Affiliate.kind(CLUSTER_NAMESPACE))).toEqual([]);
    // ...mapInput must still hand out the old local node's group, which now needs a merged affiliate.
    const mapped = await c.mapInput(ctx, identityEvent);
    expect(mapped.map((p) => p.id)).toContain('service/a');
    for (const p of mapped) await c.reconcile(ctx, p);
    expect((await state.list<AffiliateSpec>(Affiliate.kind(CLUSTER_NAMESPACE))).map((r) => [r.metadata.id, r.spec.hostname])).toEqual([['a', 'old-local']]);
  });
});
