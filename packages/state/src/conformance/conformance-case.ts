import { it } from 'vitest';
import type { Observable } from 'rxjs';
import type { Kind, Pointer } from '@cosi-ts/resource';
import type { State } from '../state.ts';
import { EventRecorder } from './event-recorder.ts';
import { Path, freshNamespace } from './fixture.ts';
import type { StateConformanceOptions } from './options.ts';

/** Per-case budget (specs/state.md §10). */
export const CASE_TIMEOUT_MS = 30_000;

/** What a case gets: a state, a namespace nobody else uses, and cleanup of what it opens. */
export interface CaseContext {
  readonly state: State;
  readonly namespace: string;
  readonly options: StateConformanceOptions;
  /** The Paths kind in this case's namespace. */
  readonly kind: Kind;
  ptr(id: string): Pointer;
  /** Records an observable; unsubscribed when the case ends. */
  record<T>(source: Observable<T>): EventRecorder<T>;
  /** Another state from `open()`, closed when the case ends. */
  openAnother(): Promise<State>;
  /** A state with a tiny history, closed when the case ends; only in cases registered with `needsSmallHistory`. */
  smallHistory(capacity: number, gap: number): Promise<State>;
  /** `options.reopen`: `previous` counts as closed, the result is closed when the case ends. */
  reopen(previous: State): Promise<State>;
  /** Runs after the case, newest first. */
  defer(cleanup: () => unknown): void;
}

export interface CaseRequirements {
  readonly tail?: boolean;
  readonly noTail?: boolean;
  readonly persistent?: boolean;
  readonly smallHistory?: boolean;
}

export type CaseBody = (ctx: CaseContext) => Promise<void>;

/** Whether a case's requirements are met; unmet cases are registered as visible skips. */
function supported(options: StateConformanceOptions, needs: CaseRequirements): boolean {
  if (needs.tail && !options.capabilities.tail) return false;
  if (needs.noTail && options.capabilities.tail) return false;
  if (needs.persistent && (!options.capabilities.persistent || !options.reopen)) return false;
  if (needs.smallHistory && !options.smallHistory) return false;
  return true;
}

/** Registers one vitest case with a fresh context. */
export function conformanceCase(
  options: StateConformanceOptions,
  title: string,
  body: CaseBody,
  needs: CaseRequirements = {},
): void {
  it.skipIf(!supported(options, needs))(
    title,
    async () => {
      const cleanups: (() => unknown)[] = [];
      const openStates: State[] = [];
      const closeLater = (s: State) => {
        if (!openStates.includes(s)) openStates.push(s);
      };
      const state = await options.open();
      closeLater(state);
      const namespace = freshNamespace();
      const ctx: CaseContext = {
        state,
        namespace,
        options,
        kind: Path.kind(namespace),
        ptr: (id) => Path.pointer(id, namespace),
        record: (source) => {
          const recorder = new EventRecorder(source);
          cleanups.push(() => recorder.unsubscribe());
          return recorder;
        },
        openAnother: async () => {
          const other = await options.open();
          closeLater(other);
          return other;
        },
        smallHistory: async (capacity, gap) => {
          if (!options.smallHistory) throw new Error('smallHistory is not configured');
          const small = await options.smallHistory(capacity, gap);
          closeLater(small);
          return small;
        },
        reopen: async (previous) => {
          if (!options.reopen) throw new Error('reopen is not configured');
          const next = await options.reopen(previous);
          const at = openStates.indexOf(previous);
          if (at >= 0) openStates.splice(at, 1);
          closeLater(next);
          return next;
        },
        defer: (cleanup) => cleanups.push(cleanup),
      };
      try {
        await body(ctx);
      } finally {
        for (const cleanup of cleanups.reverse()) await cleanup();
        for (const s of openStates.reverse()) await options.close?.(s);
      }
    },
    CASE_TIMEOUT_MS,
  );
}
