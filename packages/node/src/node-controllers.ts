// Every controller of one node, in one place: cosi-node runs exactly this list, and the in-process
// test harness (test/discovery/cluster-node.ts) builds the same pipeline from it.
import {
  APIServerConfigSourceController,
  ConfigController,
  HostnameSourceController,
  InfoController,
  KubeSpanConfigSourceController,
  KubeSpanIdentityController,
  LocalAffiliateController,
  MachineTypeSourceController,
  NodeAddressSourceController,
  NodenameSourceController,
  type HostnameSourceOptions,
  type NodeAddressSourceOptions,
} from '@cosi-ts/cluster';
import { NodeIdentityController } from '@cosi-ts/identity';
import { AffiliateMergeController, MemberController } from '@cosi-ts/merge';
import { KubernetesPullController, KubernetesPushController } from '@cosi-ts/registry-kubernetes';
import { DiscoveryServiceController, type DiscoveryServiceControllerOptions } from '@cosi-ts/registry-service';
import type { AnyController } from '@cosi-ts/runtime';

export interface NodeControllerOptions {
  /** The STATE directory: node identity and KubeSpan key live here. */
  readonly stateDir: string;
  readonly hostname?: HostnameSourceOptions;
  readonly addresses?: NodeAddressSourceOptions;
  readonly serviceRegistry?: DiscoveryServiceControllerOptions;
  /** Include the Kubernetes push/pull controllers (they idle while the registry is disabled). Default true. */
  readonly kubernetes?: boolean;
}

export interface NodeControllers {
  readonly controllers: readonly AnyController[];
  /** The service registry, for its metrics and its reset state. */
  readonly serviceRegistry: DiscoveryServiceController;
}

/** config → sources → identity → local affiliate → registries → merge → members. */
export function nodeControllers(o: NodeControllerOptions): NodeControllers {
  const serviceRegistry = new DiscoveryServiceController(o.serviceRegistry);
  const controllers: AnyController[] = [
    new ConfigController(),
    new InfoController(),
    new HostnameSourceController(o.hostname),
    new NodenameSourceController(),
    new MachineTypeSourceController(),
    new NodeAddressSourceController(o.addresses),
    new APIServerConfigSourceController(),
    new KubeSpanConfigSourceController(),
    new NodeIdentityController({ stateDir: o.stateDir }),
    new KubeSpanIdentityController({ stateDir: o.stateDir }),
    new LocalAffiliateController(),
    serviceRegistry,
    new AffiliateMergeController(),
    new MemberController(),
  ];
  if (o.kubernetes !== false) controllers.push(new KubernetesPushController(), new KubernetesPullController());
  return { controllers, serviceRegistry };
}
