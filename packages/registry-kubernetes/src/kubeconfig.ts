import { KubeConfig } from '@kubernetes/client-node';
import { KubernetesRegistryError } from './errors.ts';

/**
 * A KubeConfig from `path`, or by the client library's default resolution (`KUBECONFIG`,
 * `~/.kube/config`, in-cluster ServiceAccount) when `path` is undefined. Read afresh on every call,
 * so rotated credentials are picked up on the next connection.
 */
export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (path === undefined) kc.loadFromDefault();
    else kc.loadFromFile(path);
  } catch (e) {
    throw new KubernetesRegistryError('KubeconfigUnavailable', `kubeconfig ${path ?? '(default resolution)'} cannot be loaded: ${(e as Error).message}`, { cause: e });
  }
  if (kc.getCurrentCluster() === null) {
    throw new KubernetesRegistryError('KubeconfigUnavailable', `kubeconfig ${path ?? '(default resolution)'} has no current cluster`);
  }
  return kc;
}
