import type { Pointer } from '@cosi-ts/resource';
import type { Output, QContext, QController, QInput, ReducedMetadata } from '@cosi-ts/runtime';
import { isNotFound, isOwnerConflict } from '@cosi-ts/state';
import {
  Affiliate,
  CLUSTER_NAMESPACE,
  CLUSTER_RAW_NAMESPACE,
  Identity,
  LOCAL_IDENTITY_ID,
  getOptional,
  mergeAffiliates,
  writeSpec,
  type AffiliateSpec,
  type IdentitySpec,
} from '@cosi-ts/cluster';

const rawPointer = (id: string): Pointer => Affiliate.pointer(id, CLUSTER_RAW_NAMESPACE);

/**
 * `cluster-raw` affiliates (one per registry and node) → `cluster/Affiliates/<NodeID>` (spec §3.6):
 * each node's raw views in ID order (`k8s/…` before `service/…`, so the service registry wins on
 * scalars) folded with `mergeAffiliates`. The local NodeID is skipped: LocalAffiliateController
 * owns it. Incremental: a QController keyed by raw affiliate; one raw change reconciles that raw
 * and recomputes only its node (and the node it left, if its `nodeId` changed).
 */
export class AffiliateMergeController implements QController {
  readonly name = 'merge.AffiliateMergeController';
  readonly inputs: readonly QInput[] = [
    { namespace: CLUSTER_RAW_NAMESPACE, type: Affiliate, kind: 'primary' },
    // Kind-wide so that reading it is a cheap cached list (no NotFound while there is no identity yet).
    { namespace: Identity.defaultNamespace, type: Identity, kind: 'mapped' },
  ];
  readonly outputs: readonly Output[] = [{ type: Affiliate, kind: 'shared' }];
  /** One job at a time: the index below is shared by every key. */
  readonly concurrency = 1;

  /** Raw ID → the NodeID it was grouped under. */
  private readonly rawNode = new Map<string, string>();
  /** NodeID → IDs of its raw affiliates. */
  private readonly groups = new Map<string, Set<string>>();
  /** NodeIDs whose merged affiliate this controller wrote and has not destroyed. */
  private readonly written = new Set<string>();
  /**
   * The local NodeID `mapInput` last saw. Kept apart from what reconciles read: a reconcile that
   * runs between the Identity change and its `mapInput` must not hide the change from it.
   */
  private mappedLocalNodeId: string | undefined;
  private adoption: Promise<void> | undefined;

  /** Cleans up after an earlier run as soon as the controller starts, even with no raw affiliates. */
  async runHook(ctx: QContext): Promise<void> {
    await this.adopted(ctx);
  }

  async reconcile(ctx: QContext, ptr: Pointer): Promise<void> {
    await this.adopted(ctx);
    const raw = await getOptional<AffiliateSpec>(ctx, ptr);
    const prev = this.rawNode.get(ptr.id);
    const next = raw !== undefined && raw.metadata.phase === 'running' ? raw.spec.nodeId : undefined;
    if (prev !== next) {
      if (prev !== undefined) this.unindex(ptr.id, prev);
      if (next !== undefined) this.index(ptr.id, next);
    }
    const local = await this.readLocal(ctx);
    if (prev !== undefined && prev !== next) await this.recompute(ctx, prev, local);
    if (next !== undefined) await this.recompute(ctx, next, local);
  }

  /** A local NodeID change: one raw of the old and one of the new local node's group, to recompute both. */
  async mapInput(ctx: QContext, _md: ReducedMetadata): Promise<readonly Pointer[]> {
    const before = this.mappedLocalNodeId;
    const now = await this.readLocal(ctx);
    this.mappedLocalNodeId = now;
    if (before === now) return [];
    const out: Pointer[] = [];
    for (const nodeId of [before, now]) {
      const first = nodeId === undefined ? undefined : this.groups.get(nodeId)?.values().next();
      if (first !== undefined && first.done !== true) out.push(rawPointer(first.value));
    }
    return out;
  }

  private async readLocal(ctx: QContext): Promise<string | undefined> {
    const identities = await ctx.list<IdentitySpec>(Identity.kind());
    return identities.find((r) => r.metadata.id === LOCAL_IDENTITY_ID)?.spec.nodeId;
  }

  /** The earlier-run cleanup, run once before any job (retried by the next caller if it fails). */
  private adopted(ctx: QContext): Promise<void> {
    this.adoption ??= this.adoptExisting(ctx).catch((e: unknown) => {
      this.adoption = undefined;
      throw e;
    });
    return this.adoption;
  }

  private index(id: string, nodeId: string): void {
    this.rawNode.set(id, nodeId);
    let group = this.groups.get(nodeId);
    if (group === undefined) this.groups.set(nodeId, (group = new Set()));
    group.add(id);
  }

  private unindex(id: string, nodeId: string): void {
    this.rawNode.delete(id);
    const group = this.groups.get(nodeId);
    group?.delete(id);
    if (group?.size === 0) this.groups.delete(nodeId);
  }

  /**
   * Once per process, before the first reconcile: merged affiliates this controller owns from an
   * earlier run are destroyed unless some raw affiliate still backs them.
   */
  private async adoptExisting(ctx: QContext): Promise<void> {
    const local = await this.readLocal(ctx);
    this.mappedLocalNodeId = local;
    const raws = await ctx.list<AffiliateSpec>(Affiliate.kind(CLUSTER_RAW_NAMESPACE));
    const backed = new Set(raws.map((r) => r.spec.nodeId));
    const merged = await ctx.list<AffiliateSpec>(Affiliate.kind(CLUSTER_NAMESPACE), { uncached: true });
    for (const m of merged) {
      if (m.metadata.owner !== this.name) continue;
      if (backed.has(m.metadata.id) && m.metadata.id !== local) this.written.add(m.metadata.id);
      else await destroyOwn(ctx, m.metadata.id);
    }
  }

  private async recompute(ctx: QContext, nodeId: string, local: string | undefined): Promise<void> {
    const group = this.groups.get(nodeId);
    if (nodeId === '' || nodeId === local || group === undefined) {
      if (this.written.delete(nodeId)) await destroyOwn(ctx, nodeId);
      return;
    }
    let spec: AffiliateSpec | undefined;
    for (const id of [...group].sort()) {
      const raw = (await getOptional<AffiliateSpec>(ctx, rawPointer(id)))?.spec;
      if (raw === undefined) continue;
      spec = spec === undefined ? raw : mergeAffiliates(spec, raw);
    }
    if (spec === undefined) return;
    ctx.logger.debug({ nodeId, raw: group.size }, 'merged affiliate recomputed');
    await writeSpec(ctx, Affiliate, nodeId, spec, CLUSTER_NAMESPACE);
    this.written.add(nodeId);
  }
}

async function destroyOwn(ctx: QContext, nodeId: string): Promise<void> {
  try {
    await ctx.destroy(Affiliate.pointer(nodeId, CLUSTER_NAMESPACE));
  } catch (e) {
    // Gone already, or (after an ID change) now the local affiliate of LocalAffiliateController.
    if (!isNotFound(e) && !isOwnerConflict(e)) throw e;
  }
}
