export {
  CLUSTER_NAMESPACE,
  CLUSTER_RAW_NAMESPACE,
  CONFIG_NAMESPACE,
  NETWORK_NAMESPACE,
  K8S_NAMESPACE,
  KUBESPAN_NAMESPACE,
  CONTROLPLANE_NAMESPACE,
  RUNTIME_NAMESPACE,
} from './namespaces.ts';
export { COSI_TS_VERSION, OPERATING_SYSTEM } from './version.ts';

export type { MachineType, AffiliateSpec, KubeSpanAffiliateSpec, ControlPlaneSpec } from './affiliate-spec.ts';
export { MACHINE_TYPES, isZeroKubeSpan, normalizeAffiliate } from './affiliate-spec.ts';
export { Affiliate, rawAffiliateId } from './affiliate.ts';
export type { MemberSpec } from './member.ts';
export { Member } from './member.ts';
export type { IdentitySpec } from './identity.ts';
export { Identity, LOCAL_IDENTITY_ID } from './identity.ts';
export type { InfoSpec } from './info.ts';
export { Info, CURRENT_INFO_ID } from './info.ts';
export type { DiscoveryConfigSpec } from './discovery-config.ts';
export { DiscoveryConfig, DISCOVERY_CONFIG_ID } from './discovery-config.ts';

export { MachineConfig, MACHINE_CONFIG_ID } from './machine-config.ts';
export type { HostnameStatusSpec } from './hostname-status.ts';
export { HostnameStatus, HOSTNAME_STATUS_ID, fqdnOf, splitHostname } from './hostname-status.ts';
export type { NodeAddressSpec } from './node-address.ts';
export { NodeAddress, NODE_ADDRESS_CURRENT_NO_K8S, NODE_ADDRESS_ROUTED_NO_K8S } from './node-address.ts';
export type { NodenameSpec } from './nodename.ts';
export { Nodename, NODENAME_ID } from './nodename.ts';
export type { MachineTypeSpec } from './machine-type-resource.ts';
export { MachineTypeResource, MACHINE_TYPE_ID } from './machine-type-resource.ts';
export type { APIServerConfigSpec } from './api-server-config.ts';
export { APIServerConfig, API_SERVER_CONFIG_ID, DEFAULT_LOCAL_API_SERVER_PORT } from './api-server-config.ts';
export type { AddressStatusSpec } from './address-status.ts';
export { AddressStatus, SERVICE_ADDRESS_STATUS_ID } from './address-status.ts';
export type { MachineResetSignalSpec } from './machine-reset-signal.ts';
export { MachineResetSignal, MACHINE_RESET_SIGNAL_ID } from './machine-reset-signal.ts';
export type { KubeSpanIdentitySpec } from './kubespan-identity.ts';
export { KubeSpanIdentity, KUBESPAN_IDENTITY_ID } from './kubespan-identity.ts';
export type { KubeSpanConfigSpec } from './kubespan-config.ts';
export { KubeSpanConfig, KUBESPAN_CONFIG_ID } from './kubespan-config.ts';
export type { NodeStatusSpec } from './node-status.ts';
export { NodeStatus } from './node-status.ts';
export type { KubeSpanEndpointSpec } from './kubespan-endpoint.ts';
export { KubeSpanEndpoint } from './kubespan-endpoint.ts';
export { CLUSTER_RESOURCE_TYPES } from './resource-types.ts';

export { mergeAffiliates } from './merge-affiliates.ts';
export type { IpAddr, IpPrefix } from './ip.ts';
export { parseIp, formatIp, parsePrefix, formatPrefix, prefixContains, addressOfCidr, formatEndpoint, hostPrefix } from './ip.ts';

export type {
  NodeConfig,
  MachineSection,
  ClusterSection,
  KubeSpanSection,
  InterfaceSection,
  ConfigMachineType,
} from './node-config.ts';
export {
  parseNodeConfig,
  loadNodeConfig,
  validateNodeConfig,
  resolveStateDir,
  resolveKubeconfigPath,
  kubeSpanSectionOf,
  configuredHostname,
} from './node-config.ts';
export { NodeConfigError, isNodeConfigError } from './node-config-error.ts';
export { deriveDiscoveryConfig, DEFAULT_DISCOVERY_SERVICE_ENDPOINT } from './derive-discovery-config.ts';
export type { LocalAffiliateInputs } from './local-affiliate.ts';
export { buildLocalAffiliate, filterEndpointIps, uniqueIps, KUBESPAN_PORT } from './local-affiliate.ts';

export { createFileExclusive } from './exclusive-file.ts';
export type { CreateFileExclusiveOptions, CreateFileResult } from './exclusive-file.ts';
export { MACHINE_CONFIG_PATH_ANNOTATION } from './machine-config.ts';
export type { OutputContext } from './controller-helpers.ts';
export { replaceSpec, writeSpec, getOptional, destroyIfPresent } from './controller-helpers.ts';
export { ConfigController } from './config-controller.ts';
export { InfoController } from './info-controller.ts';
export type { HostnameSourceOptions } from './hostname-source-controller.ts';
export { HostnameSourceController } from './hostname-source-controller.ts';
export { NodenameSourceController } from './nodename-source-controller.ts';
export { MachineTypeSourceController, machineTypeOf } from './machine-type-source-controller.ts';
export type { NodeAddressSourceOptions } from './node-address-source-controller.ts';
export { NodeAddressSourceController, osNodeAddresses, configuredNodeAddresses } from './node-address-source-controller.ts';
export { APIServerConfigSourceController } from './api-server-config-source-controller.ts';
export { KubeSpanConfigSourceController } from './kubespan-config-source-controller.ts';
export type { KubeSpanIdentityOptions } from './kubespan-identity-controller.ts';
export { KubeSpanIdentityController } from './kubespan-identity-controller.ts';
export type { WireGuardKeyPair } from './kubespan-key.ts';
export { KUBESPAN_KEY_FILE, KubeSpanKeyError, loadOrCreateWireGuardKey, generateWireGuardKeyPair, wireGuardPublicKey } from './kubespan-key.ts';
export { kubeSpanPrefix, kubeSpanAddress, parseMac } from './kubespan-address.ts';
export type { LocalAffiliateOptions } from './local-affiliate-controller.ts';
export { LocalAffiliateController } from './local-affiliate-controller.ts';
