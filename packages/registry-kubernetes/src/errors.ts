/** Stable codes of the Kubernetes registry's failures. */
export type KubernetesRegistryErrorCode =
  /** The local Node (named by the local affiliate's nodename) does not exist in the cluster. */
  | 'KubernetesNodeNotFound'
  /** The kubeconfig could not be read or names no usable cluster. */
  | 'KubeconfigUnavailable'
  /** A request to the API server did not complete within its time limit. */
  | 'KubernetesRequestTimeout';

export class KubernetesRegistryError extends Error {
  readonly code: KubernetesRegistryErrorCode;
  constructor(code: KubernetesRegistryErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KubernetesRegistryError';
    this.code = code;
  }
}

export function isKubernetesRegistryError(e: unknown, code?: KubernetesRegistryErrorCode): e is KubernetesRegistryError {
  return e instanceof KubernetesRegistryError && (code === undefined || e.code === code);
}

/** The HTTP status of a failed client-node call: `code` (API calls) or `statusCode` (watches). */
export function httpStatusOf(e: unknown): number | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const { code, statusCode } = e as { code?: unknown; statusCode?: unknown };
  if (typeof code === 'number') return code;
  if (typeof statusCode === 'number') return statusCode;
  return undefined;
}
