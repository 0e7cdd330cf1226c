import { CoreV1Api, PatchStrategy, type V1Node } from '@kubernetes/client-node';
import type { Controller, ControllerContext, Input, Output } from '@cosi-ts/runtime';
import {
  Affiliate,
  CLUSTER_NAMESPACE,
  DiscoveryConfig,
  DISCOVERY_CONFIG_ID,
  getOptional,
  Identity,
  LOCAL_IDENTITY_ID,
  MachineConfig,
  MACHINE_CONFIG_ID,
  type AffiliateSpec,
  type DiscoveryConfigSpec,
  type IdentitySpec,
} from '@cosi-ts/cluster';
import { annotationPatch, annotationsOf } from './annotations.ts';
import { httpStatusOf, KubernetesRegistryError } from './errors.ts';
import { loadKubeConfig } from './kubeconfig.ts';
import { configuredKubeconfig } from './kubeconfig-path.ts';
import { requestOptions } from './request-options.ts';
import { boundedRequest } from './with-timeout.ts';

export interface KubernetesPushOptions {
  /** Limit of each API request; default 30 s. */
  readonly requestTimeoutMs?: number;
}

/**
 * The local affiliate → annotations of this node's Kubernetes Node (spec §3.5 push): GET the Node
 * named by the affiliate's nodename, then a JSON merge patch of only the differing annotation keys
 * (an empty value deletes its key). Nothing differs → no PATCH; the affiliate unchanged since the
 * last push → no request at all. A missing Node or a failed request is a controller error, so the
 * runtime retries with backoff.
 */
export class KubernetesPushController implements Controller {
  readonly name = 'registry.KubernetesPushController';
  readonly inputs: readonly Input[] = [
    { namespace: DiscoveryConfig.defaultNamespace, type: DiscoveryConfig.type, id: DISCOVERY_CONFIG_ID, kind: 'weak' },
    { namespace: Identity.defaultNamespace, type: Identity.type, id: LOCAL_IDENTITY_ID, kind: 'weak' },
    { namespace: MachineConfig.defaultNamespace, type: MachineConfig.type, id: MACHINE_CONFIG_ID, kind: 'weak' },
    // Kind-wide: the local affiliate's ID is the NodeID, known only at run time; other changes are cheap no-ops.
    { namespace: CLUSTER_NAMESPACE, type: Affiliate.type, kind: 'weak' },
  ];
  readonly outputs: readonly Output[] = [];
  private readonly timeoutMs: number;
  /** What the last successful push made true: kubeconfig, Node name and annotations. */
  private pushed: string | undefined;

  constructor(opts: KubernetesPushOptions = {}) {
    this.timeoutMs = opts.requestTimeoutMs ?? 30_000;
  }

  async run(ctx: ControllerContext): Promise<void> {
    for await (const _ of ctx.events()) {
      const dc = await getOptional<DiscoveryConfigSpec>(ctx, DiscoveryConfig.pointer(DISCOVERY_CONFIG_ID));
      if (dc?.spec.discoveryEnabled !== true || !dc.spec.registryKubernetesEnabled) {
        // Pushed again in full when re-enabled: the Node may have changed meanwhile.
        this.pushed = undefined;
        continue;
      }
      const identity = await getOptional<IdentitySpec>(ctx, Identity.pointer(LOCAL_IDENTITY_ID));
      if (identity === undefined) continue;
      const nodeId = identity.spec.nodeId;
      const local = await getOptional<AffiliateSpec>(ctx, Affiliate.pointer(nodeId, CLUSTER_NAMESPACE));
      const nodename = local?.spec.nodename;
      if (local === undefined || nodename === undefined || nodename === '') {
        ctx.logger.debug('waiting for the local affiliate and its nodename');
        continue;
      }
      const kubeconfig = await configuredKubeconfig(ctx);
      const desired = annotationsOf(nodeId, local.spec);
      const key = JSON.stringify([kubeconfig ?? null, nodename, desired]);
      if (key === this.pushed) continue;

      const api = loadKubeConfig(kubeconfig).makeApiClient(CoreV1Api);
      let node: V1Node;
      try {
        node = await boundedRequest((signal) => api.readNode({ name: nodename }, requestOptions(signal)), this.timeoutMs, `get Node ${nodename}`, ctx.signal);
      } catch (e) {
        if (httpStatusOf(e) === 404) {
          throw new KubernetesRegistryError('KubernetesNodeNotFound', `Kubernetes Node ${JSON.stringify(nodename)} (this node's nodename) does not exist`, { cause: e });
        }
        throw e;
      }
      const patch = annotationPatch(node.metadata?.annotations, desired);
      if (patch !== undefined) {
        await boundedRequest(
          (signal) => api.patchNode({ name: nodename, body: { metadata: { annotations: patch } } }, requestOptions(signal, { 'Content-Type': PatchStrategy.MergePatch })),
          this.timeoutMs,
          `patch Node ${nodename}`,
          ctx.signal,
        );
        ctx.logger.info({ node: nodename, keys: Object.keys(patch) }, 'Kubernetes Node annotations updated');
      }
      this.pushed = key;
    }
  }
}
