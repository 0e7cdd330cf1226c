import { isStateError } from '@cosi-ts/state';

/**
 * Retries `fn` while it fails with a backend error (etcd unavailable, leader changed, deadline),
 * never on a state error (NotFound, Conflict, ...): what a client does through a failover.
 */
export async function retryTransient<T>(fn: () => Promise<T>, opts: { attempts?: number; delayMs?: number } = {}): Promise<T> {
  const attempts = opts.attempts ?? 100;
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (isStateError(e) || i >= attempts) throw e;
      await new Promise((r) => setTimeout(r, opts.delayMs ?? 100));
    }
  }
}
