import { KubernetesRegistryError } from './errors.ts';

/**
 * `promise`, or a `KubernetesRequestTimeout` error after `ms`, or the signal's reason. client-node
 * 1.4.0 API calls take no AbortSignal, so this bounds the wait; the request itself ends with its socket.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      reject(new KubernetesRegistryError('KubernetesRequestTimeout', `${what}: no answer within ${ms} ms`));
    }, ms);
    if (signal?.aborted === true) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
