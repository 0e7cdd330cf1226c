import { EVENT_TIMEOUT_MS } from './event-recorder.ts';

/** Resolves or rejects as `promise` does, or rejects after `timeoutMs` naming `what`. Leaves no timer behind. */
export function within<T>(promise: Promise<T>, what: string, timeoutMs = EVENT_TIMEOUT_MS): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: not settled within ${timeoutMs} ms`)), timeoutMs);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error); // the same object, so tests can check identity
      },
    );
  });
}

/** Resolves once `signal` aborts; rejects after `timeoutMs`. */
export function abortedWithin(signal: AbortSignal, what: string, timeoutMs = EVENT_TIMEOUT_MS): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      reject(new Error(`${what}: signal not aborted within ${timeoutMs} ms`));
    }, timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
