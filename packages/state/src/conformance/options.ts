import type { State } from '../state.ts';

export interface ConformanceCapabilities {
  /** `tailEvents` works on watch and watchKind (else watchKind tails send `errored(Unsupported)`). */
  readonly tail: boolean;
  /** The store survives `reopen` (case 26). */
  readonly persistent: boolean;
}

export interface StateConformanceOptions {
  /**
   * A state for one case; every case uses a fresh random namespace, so a shared store is fine.
   * Each call should be its own store (case 19 uses a second one as the "foreign store"); if the
   * calls share one store, return the same object and that check is skipped.
   * The store must keep at least 64 events of history per kind (cases 16 and 28 write in bursts of 16).
   */
  open(): Promise<State> | State;
  /** Persistent backends: close `previous` and open the same store again (case 26). */
  reopen?(previous: State): Promise<State>;
  /** Called once per state the suite opened, after its case. */
  close?(state: State): Promise<void> | void;
  /** A state keeping only `capacity` events per kind with resume margin `gap` (cases 19, 24, 25); absent: those checks skip. */
  smallHistory?(capacity: number, gap: number): Promise<State> | State;
  /** Persistent backends: drop the history up to the head, as compaction would (case 26); absent: that check skips. */
  compact?(state: State): Promise<void> | void;
  readonly capabilities: ConformanceCapabilities;
}
