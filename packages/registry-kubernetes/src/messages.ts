/** Logged once when the Kubernetes registry is enabled (spec §3.5). */
export const DEPRECATION_WARNING =
  'the Kubernetes registry is deprecated: since Kubernetes 1.32 the AuthorizeNodeWithSelectors feature ' +
  '(on by default, GA in 1.34) lets a kubelet identity (system:node:<name>) read only its own Node, so listing and ' +
  'watching Nodes fails with 403 Forbidden. It works with a kubeconfig of a ServiceAccount allowed to get, list, ' +
  'watch and patch nodes (machine.kubernetes.kubeconfig); prefer the discovery service registry';

/** Logged on a 403 from list/watch: once, then at most every 10 minutes (spec §3.5). */
export const FORBIDDEN_WARNING =
  'Kubernetes registry: listing or watching Nodes is forbidden (403). Kubernetes 1.32+ enables ' +
  'AuthorizeNodeWithSelectors, which lets a kubelet identity read only its own Node; use the kubeconfig of a ' +
  'ServiceAccount with get/list/watch/patch on nodes, or disable the registry ' +
  '(cluster.discovery.registries.kubernetes.disabled: true). Retrying with backoff; this warning repeats at most every 10 minutes';
