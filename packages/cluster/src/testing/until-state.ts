// Test helper (not part of the public API): event-driven waiting on a State.
import type { Kind } from '@cosi-ts/resource';
import type { State } from '@cosi-ts/state';
import type { Subscription } from 'rxjs';

/**
 * Runs `check` now and after every event of `kinds` until it stops throwing; rejects with its last
 * error after `timeoutMs`. Assertions inside `check` give the failure message.
 */
export async function untilState<T>(state: State, kinds: readonly Kind[], check: () => T | Promise<T>, timeoutMs = 5_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let lastError: unknown = new Error('no check ran');
    let done = false;
    let running = false;
    let again = false;
    const subs: Subscription[] = [];
    const finish = (f: () => void): void => {
      done = true;
      clearTimeout(timer);
      for (const s of subs) s.unsubscribe();
      f();
    };
    const attempt = async (): Promise<void> => {
      if (done) return;
      if (running) {
        again = true;
        return;
      }
      running = true;
      do {
        again = false;
        try {
          const v = await check();
          finish(() => resolve(v));
          return;
        } catch (e) {
          lastError = e;
        }
      } while (again && !done);
      running = false;
    };
    const timer = setTimeout(() => finish(() => reject(lastError)), timeoutMs);
    for (const k of kinds) subs.push(state.watchKind(k).subscribe(() => void attempt()));
    void attempt();
  });
}
