import type { Subscriber } from 'rxjs';
import type { Resource } from '@cosi-ts/resource';
import type { ResourceMatcher, StateEvent } from '@cosi-ts/state';

export type AnyEvent = StateEvent<unknown>;

/** One subscription of a kind (a single watch is a kind watch of one id), reading the log by cursor. */
export class LogWatcher {
  /** Last log position (event seq) consumed. */
  cursor = 0;
  closed = false;
  /** Events to deliver before the log (initial state, bootstrap, an invalid-bookmark error). */
  pending: AnyEvent[] | undefined;
  /** After `pending`, complete instead of reading the log. */
  endAfterPending = false;
  /** id → last delivered resource; only for `bootstrapContents` watches, which resync on overrun. */
  view: Map<string, Resource> | undefined;
  detach: () => void = () => {};

  constructor(
    readonly subscriber: Subscriber<AnyEvent> | Subscriber<readonly AnyEvent[]>,
    readonly aggregated: boolean,
    readonly id: string | undefined,
    readonly match: ResourceMatcher | undefined,
  ) {}

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.detach();
  }
}
