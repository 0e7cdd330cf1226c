// Public API of @cosi-ts/registry-service (spec cluster-discovery.md §3.4).
export { DiscoveryServiceController } from './discovery-service-controller.ts';
export type { DiscoveryServiceControllerOptions } from './discovery-service-controller.ts';
export { affiliateToPlaintext, discoveredToSpec, parseEndpoint, ipToBytes, ipFromBytes } from './affiliate-plaintext.ts';
