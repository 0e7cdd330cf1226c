import type { Logger } from 'pino';
import type { Observable } from 'rxjs';
import type { IdQuery, Kind, LabelQuery, Phase, Pointer, Recipe, Resource } from '@cosi-ts/resource';
import type { StateEvent, WatchForOptions } from '@cosi-ts/state';
import type { Input } from './controller.ts';

export interface ReadOptions {
  /** Read from the State instead of the runtime's cache. */
  readonly uncached?: boolean;
}

export interface ContextListOptions extends ReadOptions {
  readonly labels?: readonly LabelQuery[];
  readonly idQuery?: IdQuery;
}

export interface PhaseOptions {
  readonly expectedPhase?: Phase | 'any';
}

export interface ContextOwnerOptions {
  /** Owner to act as; defaults to the controller's name. */
  readonly owner?: string;
}

/**
 * What a controller sees of the world (specs/controllers.md §3). Every operation is checked
 * against the declared inputs and outputs (§2) and honours `signal`.
 */
export interface ControllerContext {
  readonly name: string;
  /** Aborts when the runtime shuts down (per job for a QController). */
  readonly signal: AbortSignal;
  /** pino child logger with `{ controller: name }`. */
  readonly logger: Logger;
  /** Yields once per pending trigger (coalesced); ends when shutdown starts. One loop at a time. */
  events(): AsyncIterable<void>;
  get<S = unknown>(ptr: Pointer, opts?: ReadOptions): Promise<Resource<S>>;
  list<S = unknown>(kind: Kind, opts?: ContextListOptions): Promise<readonly Resource<S>[]>;
  watchFor<S = unknown>(ptr: Pointer, opts?: WatchForOptions): Promise<StateEvent<S>>;
  signalWithTeardown(ptr: Pointer): Promise<AbortSignal>;
  create<S>(resource: Resource<S>): Promise<Resource<S>>;
  update<S>(resource: Resource<S>, opts?: PhaseOptions): Promise<Resource<S>>;
  modify<S>(target: Pointer | Resource<S>, recipe: Recipe<S>, opts?: PhaseOptions): Promise<Resource<S>>;
  destroy(ptr: Pointer, opts?: ContextOwnerOptions): Promise<void>;
  /** Resolves true when the resource has no finalizers (ready to destroy). */
  teardown(ptr: Pointer, opts?: ContextOwnerOptions): Promise<boolean>;
  addFinalizer(ptr: Pointer, ...finalizers: string[]): Promise<Resource>;
  /** Resolves `undefined` when the resource is already gone. */
  removeFinalizer(ptr: Pointer, ...finalizers: string[]): Promise<Resource | undefined>;
  startTrackingOutputs(): void;
  cleanupOutputs(...kinds: Kind[]): Promise<void>;
  updateInputs(inputs: readonly Input[]): Promise<void>;
  resetRestartBackoff(): void;
  queueReconcile(): void;
}

/** The context of a QController: per-job `signal`, no `events()` nor `updateInputs()`. */
export type QContext = Omit<ControllerContext, 'events' | 'updateInputs'>;

/** The context of a transform pipeline: adds the current lists of extra inputs. */
export interface TransformContext extends QContext {
  /** The current list of an extra input kind, emitted on every change of that kind. */
  input$<S = unknown>(kind: Kind): Observable<readonly Resource<S>[]>;
}
