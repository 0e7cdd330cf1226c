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

/**
 * Runs `call` with a signal that is aborted when it settles, times out (`KubernetesRequestTimeout`)
 * or `signal` aborts: the HTTP request itself ends, not just the wait for it.
 */
export async function boundedRequest<T>(call: (signal: AbortSignal) => Promise<T>, ms: number, what: string, signal?: AbortSignal): Promise<T> {
  const request = new AbortController();
  try {
    return await withTimeout(call(signal === undefined ? request.signal : AbortSignal.any([signal, request.signal])), ms, what, signal);
  } finally {
    request.abort();
  }
}
