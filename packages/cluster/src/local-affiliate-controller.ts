import { checkOptions, knownOptions } from '@cosi-ts/resource';
import type { Controller, ControllerContext, Input, Output } from '@cosi-ts/runtime';
import { AddressStatus, type AddressStatusSpec } from './address-status.ts';
import { Affiliate } from './affiliate.ts';
import { APIServerConfig, API_SERVER_CONFIG_ID, type APIServerConfigSpec } from './api-server-config.ts';
import { getOptional, writeSpec } from './controller-helpers.ts';
import { DiscoveryConfig, DISCOVERY_CONFIG_ID, type DiscoveryConfigSpec } from './discovery-config.ts';
import { HostnameStatus, HOSTNAME_STATUS_ID, type HostnameStatusSpec } from './hostname-status.ts';
import { Identity, LOCAL_IDENTITY_ID, type IdentitySpec } from './identity.ts';
import { KubeSpanConfig, KUBESPAN_CONFIG_ID, type KubeSpanConfigSpec } from './kubespan-config.ts';
import { KubeSpanIdentity, KUBESPAN_IDENTITY_ID, type KubeSpanIdentitySpec } from './kubespan-identity.ts';
import { buildLocalAffiliate } from './local-affiliate.ts';
import { MachineTypeResource, MACHINE_TYPE_ID, type MachineTypeSpec } from './machine-type-resource.ts';
import { CLUSTER_NAMESPACE } from './namespaces.ts';
import { NodeAddress, NODE_ADDRESS_CURRENT_NO_K8S, NODE_ADDRESS_ROUTED_NO_K8S, type NodeAddressSpec } from './node-address.ts';
import { NodeStatus, type NodeStatusSpec } from './node-status.ts';
import { Nodename, NODENAME_ID, type NodenameSpec } from './nodename.ts';

const OPTIONS = knownOptions('operatingSystem');

export interface LocalAffiliateOptions {
  /** Overrides `operatingSystem` (default `cosi-ts (v<version>)`). */
  readonly operatingSystem?: string;
}

const weak = (t: { readonly type: string; readonly defaultNamespace: string }, id?: string): Input =>
  id === undefined ? { namespace: t.defaultNamespace, type: t.type, kind: 'weak' } : { namespace: t.defaultNamespace, type: t.type, id, kind: 'weak' };

/**
 * This node's `cluster/Affiliates/<NodeID>` (spec §3.3): written while discovery is enabled and
 * every required input exists; destroyed when discovery is disabled or the NodeID changes.
 */
export class LocalAffiliateController implements Controller {
  readonly name = 'cluster.LocalAffiliateController';
  readonly inputs: readonly Input[] = [
    weak(DiscoveryConfig, DISCOVERY_CONFIG_ID),
    weak(Identity, LOCAL_IDENTITY_ID),
    weak(HostnameStatus, HOSTNAME_STATUS_ID),
    weak(Nodename, NODENAME_ID),
    weak(NodeAddress, NODE_ADDRESS_CURRENT_NO_K8S),
    weak(NodeAddress, NODE_ADDRESS_ROUTED_NO_K8S),
    weak(MachineTypeResource, MACHINE_TYPE_ID),
    weak(KubeSpanIdentity, KUBESPAN_IDENTITY_ID),
    weak(KubeSpanConfig, KUBESPAN_CONFIG_ID),
    weak(NodeStatus),
    { namespace: CLUSTER_NAMESPACE, type: AddressStatus.type, kind: 'weak' },
    weak(APIServerConfig, API_SERVER_CONFIG_ID),
  ];
  readonly outputs: readonly Output[] = [{ type: Affiliate, kind: 'shared' }];
  private readonly operatingSystem: string | undefined;

  constructor(opts: LocalAffiliateOptions = {}) {
    checkOptions('LocalAffiliateController', opts, OPTIONS);
    this.operatingSystem = opts.operatingSystem;
  }

  async run(ctx: ControllerContext): Promise<void> {
    for await (const _ of ctx.events()) {
      const [dc, identity, hostname, nodename, current, routed, machineType] = await Promise.all([
        getOptional<DiscoveryConfigSpec>(ctx, DiscoveryConfig.pointer(DISCOVERY_CONFIG_ID)),
        getOptional<IdentitySpec>(ctx, Identity.pointer(LOCAL_IDENTITY_ID)),
        getOptional<HostnameStatusSpec>(ctx, HostnameStatus.pointer(HOSTNAME_STATUS_ID)),
        getOptional<NodenameSpec>(ctx, Nodename.pointer(NODENAME_ID)),
        getOptional<NodeAddressSpec>(ctx, NodeAddress.pointer(NODE_ADDRESS_CURRENT_NO_K8S)),
        getOptional<NodeAddressSpec>(ctx, NodeAddress.pointer(NODE_ADDRESS_ROUTED_NO_K8S)),
        getOptional<MachineTypeSpec>(ctx, MachineTypeResource.pointer(MACHINE_TYPE_ID)),
      ]);
      if (!dc || !identity || !hostname || !nodename || !current || !routed || !machineType) {
        ctx.logger.debug('waiting for inputs');
        continue;
      }

      ctx.startTrackingOutputs();
      if (dc.spec.discoveryEnabled) {
        const nodeId = identity.spec.nodeId;
        const [ksIdentity, ksConfig, nodeStatus, apiServer, publicAddresses] = await Promise.all([
          getOptional<KubeSpanIdentitySpec>(ctx, KubeSpanIdentity.pointer(KUBESPAN_IDENTITY_ID)),
          getOptional<KubeSpanConfigSpec>(ctx, KubeSpanConfig.pointer(KUBESPAN_CONFIG_ID)),
          getOptional<NodeStatusSpec>(ctx, NodeStatus.pointer(nodename.spec.nodename)),
          getOptional<APIServerConfigSpec>(ctx, APIServerConfig.pointer(API_SERVER_CONFIG_ID)),
          ctx.list<AddressStatusSpec>(AddressStatus.kind(CLUSTER_NAMESPACE)),
        ]);
        const spec = buildLocalAffiliate({
          nodeId,
          hostname: hostname.spec,
          nodename: nodename.spec.nodename,
          machineType: machineType.spec.machineType,
          currentAddresses: current.spec.addresses,
          routedAddresses: routed.spec.addresses,
          publicAddresses: publicAddresses.map((a) => a.spec.address),
          ...(ksIdentity ? { kubeSpanIdentity: ksIdentity.spec } : {}),
          ...(ksConfig ? { kubeSpanConfig: ksConfig.spec } : {}),
          ...(nodeStatus ? { podCIDRs: nodeStatus.spec.podCIDRs } : {}),
          ...(apiServer ? { apiServerPort: apiServer.spec.localPort } : {}),
          ...(this.operatingSystem !== undefined ? { operatingSystem: this.operatingSystem } : {}),
        });
        await writeSpec(ctx, Affiliate, nodeId, spec, CLUSTER_NAMESPACE);
      }
      await ctx.cleanupOutputs(Affiliate.kind(CLUSTER_NAMESPACE));
    }
  }
}
