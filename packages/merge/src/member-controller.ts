import type { Pointer } from '@cosi-ts/resource';
import type { Output, QContext, QController, QInput } from '@cosi-ts/runtime';
import { Affiliate, CLUSTER_NAMESPACE, Member, destroyIfPresent, getOptional, writeSpec, type AffiliateSpec, type MemberSpec } from '@cosi-ts/cluster';

/** The Member view of an affiliate: copies of the fields a member shows. */
export function memberOf(a: AffiliateSpec): MemberSpec {
  return {
    nodeId: a.nodeId,
    addresses: a.addresses,
    hostname: a.hostname,
    machineType: a.machineType,
    operatingSystem: a.operatingSystem,
    ...(a.controlPlane !== undefined ? { controlPlane: a.controlPlane } : {}),
  };
}

/**
 * `cluster/Affiliates/*` (local and merged) → `cluster/Members/<nodename>` (spec §3.7). Affiliates
 * without a nodename give no member; two with one nodename: the later by ID wins, with a warning.
 * Incremental: a QController keyed by affiliate; one change recomputes only the member(s) of the
 * nodename(s) that affiliate had and has.
 */
export class MemberController implements QController {
  readonly name = 'merge.MemberController';
  readonly inputs: readonly QInput[] = [{ namespace: CLUSTER_NAMESPACE, type: Affiliate, kind: 'primary' }];
  readonly outputs: readonly Output[] = [{ type: Member, kind: 'exclusive' }];
  /** One job at a time: the index below is shared by every key. */
  readonly concurrency = 1;

  /** Affiliate ID → its nodename. */
  private readonly nodenameOf = new Map<string, string>();
  /** nodename → IDs of the affiliates carrying it. */
  private readonly byNodename = new Map<string, Set<string>>();
  private adoption: Promise<void> | undefined;

  /** Cleans up after an earlier run as soon as the controller starts, even with no affiliates. */
  async runHook(ctx: QContext): Promise<void> {
    await this.adopted(ctx);
  }

  async reconcile(ctx: QContext, ptr: Pointer): Promise<void> {
    await this.adopted(ctx);
    const affiliate = await getOptional<AffiliateSpec>(ctx, ptr);
    const prev = this.nodenameOf.get(ptr.id);
    const nodename = affiliate?.metadata.phase === 'running' ? affiliate.spec.nodename : undefined;
    const next = nodename === '' ? undefined : nodename;
    if (prev !== next) {
      if (prev !== undefined) this.unindex(ptr.id, prev);
      if (next !== undefined) this.index(ptr.id, next);
      if (prev !== undefined) await this.recompute(ctx, prev);
    }
    if (next !== undefined) await this.recompute(ctx, next);
  }

  private index(id: string, nodename: string): void {
    this.nodenameOf.set(id, nodename);
    let ids = this.byNodename.get(nodename);
    if (ids === undefined) this.byNodename.set(nodename, (ids = new Set()));
    ids.add(id);
  }

  private unindex(id: string, nodename: string): void {
    this.nodenameOf.delete(id);
    const ids = this.byNodename.get(nodename);
    ids?.delete(id);
    if (ids?.size === 0) this.byNodename.delete(nodename);
  }

  /** Once per process: members left by an earlier run whose nodename no affiliate carries are destroyed. */
  private async adoptExisting(ctx: QContext): Promise<void> {
    const affiliates = await ctx.list<AffiliateSpec>(Affiliate.kind(CLUSTER_NAMESPACE));
    const carried = new Set(affiliates.map((a) => a.spec.nodename).filter((n) => n !== undefined && n !== ''));
    for (const m of await ctx.list(Member.kind(CLUSTER_NAMESPACE))) {
      if (!carried.has(m.metadata.id)) await destroyIfPresent(ctx, Member.pointer(m.metadata.id, CLUSTER_NAMESPACE));
    }
  }

  /** The earlier-run cleanup, run once before any job (retried by the next caller if it fails). */
  private adopted(ctx: QContext): Promise<void> {
    this.adoption ??= this.adoptExisting(ctx).catch((e: unknown) => {
      this.adoption = undefined;
      throw e;
    });
    return this.adoption;
  }

  private async recompute(ctx: QContext, nodename: string): Promise<void> {
    const ids = this.byNodename.get(nodename);
    const memberPtr = Member.pointer(nodename, CLUSTER_NAMESPACE);
    if (ids === undefined) {
      await destroyIfPresent(ctx, memberPtr);
      return;
    }
    const sorted = [...ids].sort();
    const winner = sorted[sorted.length - 1]!;
    if (sorted.length > 1) {
      ctx.logger.warn({ nodename, affiliates: sorted, winner }, 'several affiliates share a nodename; the last by ID wins');
    }
    const affiliate = await getOptional<AffiliateSpec>(ctx, Affiliate.pointer(winner, CLUSTER_NAMESPACE));
    if (affiliate === undefined) return; // its own job (queued by its event) will unindex it
    ctx.logger.debug({ nodename, affiliate: winner }, 'member recomputed');
    await writeSpec(ctx, Member, nodename, memberOf(affiliate.spec), CLUSTER_NAMESPACE);
  }
}
