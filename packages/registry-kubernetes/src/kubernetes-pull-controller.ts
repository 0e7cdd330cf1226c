import type { BackoffPolicy, Controller, ControllerContext, Input, Output } from '@cosi-ts/runtime';
import {
  Affiliate,
  CLUSTER_RAW_NAMESPACE,
  DiscoveryConfig,
  DISCOVERY_CONFIG_ID,
  destroyIfPresent,
  getOptional,
  MachineConfig,
  MACHINE_CONFIG_ID,
  Nodename,
  NODENAME_ID,
  rawAffiliateId,
  writeSpec,
  type DiscoveryConfigSpec,
  type NodenameSpec,
} from '@cosi-ts/cluster';
import { affiliateOfNode } from './annotations.ts';
import { configuredKubeconfig } from './kubeconfig-path.ts';
import { DEPRECATION_WARNING } from './messages.ts';
import { NodeWatcher } from './node-watcher.ts';

export interface KubernetesPullOptions {
  /** Reconnect backoff of the Node informer; default 1 s doubling up to 5 min. */
  readonly backoff?: BackoffPolicy;
  /** Minimum gap between two 403 warnings; default 10 min. */
  readonly forbiddenWarningIntervalMs?: number;
  /** How often an unusable kubeconfig is retried; default 1 s. */
  readonly kubeconfigPollMs?: number;
  /** Limit of one list request; default 30 s. */
  readonly listTimeoutMs?: number;
}

/**
 * Kubernetes Nodes → `cluster-raw/Affiliates/k8s/<NodeID>` (spec §3.5 pull): a Node informer that
 * reconnects with backoff instead of stopping; every Node but the local one that carries the node-id
 * annotation becomes a raw affiliate; owned affiliates of vanished Nodes are destroyed. Lost
 * connections keep the last known affiliates. Disabled → informer stopped, outputs destroyed.
 */
export class KubernetesPullController implements Controller {
  readonly name = 'registry.KubernetesPullController';
  readonly inputs: readonly Input[] = [
    { namespace: DiscoveryConfig.defaultNamespace, type: DiscoveryConfig.type, id: DISCOVERY_CONFIG_ID, kind: 'weak' },
    { namespace: Nodename.defaultNamespace, type: Nodename.type, id: NODENAME_ID, kind: 'weak' },
    { namespace: MachineConfig.defaultNamespace, type: MachineConfig.type, id: MACHINE_CONFIG_ID, kind: 'weak' },
  ];
  readonly outputs: readonly Output[] = [{ type: Affiliate, kind: 'shared' }];
  private readonly opts: KubernetesPullOptions;
  private warned = false;
  /** Node name → the raw affiliate ID it backs, for incremental updates between lists. */
  private readonly byNode = new Map<string, string>();
  /** The nodename the last full pass skipped. */
  private local: string | undefined;

  constructor(opts: KubernetesPullOptions = {}) {
    this.opts = opts;
  }

  async run(ctx: ControllerContext): Promise<void> {
    let watcher: NodeWatcher | undefined;
    const stopWatcher = (): void => {
      watcher?.stop();
      watcher = undefined;
      // A new informer starts with a full pass.
      this.local = undefined;
    };
    try {
      for await (const _ of ctx.events()) {
        const dc = await getOptional<DiscoveryConfigSpec>(ctx, DiscoveryConfig.pointer(DISCOVERY_CONFIG_ID));
        if (dc?.spec.discoveryEnabled !== true || !dc.spec.registryKubernetesEnabled) {
          stopWatcher();
          ctx.startTrackingOutputs();
          await ctx.cleanupOutputs(Affiliate.kind(CLUSTER_RAW_NAMESPACE));
          continue;
        }
        if (!this.warned) {
          ctx.logger.warn(DEPRECATION_WARNING);
          this.warned = true;
        }
        const nodename = await getOptional<NodenameSpec>(ctx, Nodename.pointer(NODENAME_ID));
        if (nodename === undefined) {
          ctx.logger.debug('waiting for the nodename');
          continue;
        }
        const kubeconfig = await configuredKubeconfig(ctx);
        if (watcher !== undefined && watcher.kubeconfig !== kubeconfig) stopWatcher();
        if (watcher === undefined) {
          watcher = new NodeWatcher({ kubeconfig, logger: ctx.logger, onChange: () => ctx.queueReconcile(), ...this.opts });
          watcher.start();
        }
        // Until the first list is in, the outputs (from a previous informer) stay as they are.
        if (!watcher.synced) continue;

        const local = nodename.spec.nodename;
        const changes = watcher.takeChanges();
        if (changes.full || local !== this.local) {
          // After a (re)list: every Node, and whatever they no longer back is destroyed.
          this.local = local;
          this.byNode.clear();
          ctx.startTrackingOutputs();
          for (const node of watcher.nodes()) {
            const name = node.metadata?.name ?? '';
            const spec = name === local ? undefined : affiliateOfNode(node);
            if (spec === undefined) continue;
            const id = rawAffiliateId('k8s', spec.nodeId);
            this.byNode.set(name, id);
            await writeSpec(ctx, Affiliate, id, spec, CLUSTER_RAW_NAMESPACE);
          }
          await ctx.cleanupOutputs(Affiliate.kind(CLUSTER_RAW_NAMESPACE));
          continue;
        }
        // Watch events: only the Nodes that changed (a cluster of N nodes costs O(1) per change, not O(N)).
        for (const name of changes.names) {
          const node = watcher.node(name);
          const spec = node === undefined || name === local ? undefined : affiliateOfNode(node);
          const before = this.byNode.get(name);
          const id = spec === undefined ? undefined : rawAffiliateId('k8s', spec.nodeId);
          if (id === undefined) this.byNode.delete(name);
          else this.byNode.set(name, id);
          if (spec !== undefined && id !== undefined) await writeSpec(ctx, Affiliate, id, spec, CLUSTER_RAW_NAMESPACE);
          // The old ID goes unless another Node (a duplicate node-id) still backs it.
          if (before !== undefined && before !== id && ![...this.byNode.values()].includes(before)) {
            await destroyIfPresent(ctx, Affiliate.pointer(before, CLUSTER_RAW_NAMESPACE));
          }
        }
      }
    } finally {
      stopWatcher();
    }
  }
}
