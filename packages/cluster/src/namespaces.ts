/** Identity, info, local and merged affiliates, members, public-IP status. */
export const CLUSTER_NAMESPACE = 'cluster';
/** Unmerged affiliates, one per registry and node (`service/<NodeID>`, `k8s/<NodeID>`). */
export const CLUSTER_RAW_NAMESPACE = 'cluster-raw';
/** Derived from `node.yaml`. */
export const CONFIG_NAMESPACE = 'config';
export const NETWORK_NAMESPACE = 'network';
export const K8S_NAMESPACE = 'k8s';
export const KUBESPAN_NAMESPACE = 'kubespan';
export const CONTROLPLANE_NAMESPACE = 'controlplane';
export const RUNTIME_NAMESPACE = 'runtime';
