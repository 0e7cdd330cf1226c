import type { Observable } from 'rxjs';
import type { Kind, Phase, Pointer, Resource, Tombstone } from '@cosi-ts/resource';
import type { LabelQuery, IdQuery, Recipe } from '@cosi-ts/resource';

/** Opaque point in one kind's history; valid only for the store and kind that issued it. */
export type Bookmark = Uint8Array;

export interface SignalOptions {
  readonly signal?: AbortSignal;
}

export interface OwnerOptions extends SignalOptions {
  /** Compared exactly; '' (the default) is "unowned" and differs from every controller name. */
  readonly owner?: string;
}

export interface UpdateOptions extends OwnerOptions {
  /** Phase the stored resource must be in; `'any'` skips the check. Default `'running'`. */
  readonly expectedPhase?: Phase | 'any';
}

export interface ListOptions extends SignalOptions {
  /** ORed queries of ANDed terms; none, `[]` or an empty query matches all. */
  readonly labels?: readonly LabelQuery[];
  readonly idQuery?: IdQuery;
}

export type StateEvent<S = unknown> =
  | { readonly type: 'created' | 'destroyed'; readonly resource: Resource<S>; readonly bookmark?: Bookmark }
  | { readonly type: 'updated'; readonly resource: Resource<S>; readonly old: Resource<S>; readonly bookmark?: Bookmark }
  | { readonly type: 'bootstrapped' | 'noop'; readonly resource: Tombstone; readonly bookmark: Bookmark }
  | { readonly type: 'errored'; readonly error: Error };

export type StateEventType = StateEvent['type'];

export interface WatchOptions extends SignalOptions {
  /** Replay the last n events of this id (or kind) instead of the initial state. */
  readonly tailEvents?: number;
  /** Resume exactly after this point. Exclusive with `tailEvents` and `bootstrapContents`. */
  readonly startFromBookmark?: Bookmark;
}

export interface WatchKindOptions extends WatchOptions, Omit<ListOptions, 'signal'> {
  /** First `created` per matching resource (ascending id), then `bootstrapped`, then live. */
  readonly bootstrapContents?: boolean;
  /** First a `noop` carrying the current position. Ignored with `bootstrapContents`. */
  readonly bootstrapBookmark?: boolean;
}

export interface WatchForOptions extends SignalOptions {
  readonly eventTypes?: readonly StateEventType[];
  readonly phases?: readonly Phase[];
  /** Matches a present resource with no finalizers; never matches `destroyed`. */
  readonly finalizersEmpty?: boolean;
  readonly predicate?: (event: StateEvent) => boolean;
}

/** Finalizer edits take the finalizers, optionally followed by options. */
export type FinalizerArgs = readonly string[] | readonly [...string[], SignalOptions];

/**
 * The primitives a backend implements. Everything else in {@link State} is derived from these
 * by `wrapCore`, so every backend shares one implementation of the read-modify-write helpers.
 */
export interface CoreState {
  get<S = unknown>(ptr: Pointer, opts?: SignalOptions): Promise<Resource<S>>;
  list<S = unknown>(kind: Kind, opts?: ListOptions): Promise<readonly Resource<S>[]>;
  create<S>(resource: Resource<S>, opts?: OwnerOptions): Promise<Resource<S>>;
  update<S>(resource: Resource<S>, opts?: UpdateOptions): Promise<Resource<S>>;
  destroy(ptr: Pointer, opts?: OwnerOptions): Promise<void>;
  watch<S = unknown>(ptr: Pointer, opts?: WatchOptions): Observable<StateEvent<S>>;
  watchKind<S = unknown>(kind: Kind, opts?: WatchKindOptions): Observable<StateEvent<S>>;
  watchKindAggregated<S = unknown>(kind: Kind, opts?: WatchKindOptions): Observable<readonly StateEvent<S>[]>;
}

export interface State extends CoreState {
  /** Moves a resource to `tearingDown`; resolves true when it has no finalizers (ready to destroy). */
  teardown(ptr: Pointer, opts?: OwnerOptions): Promise<boolean>;
  addFinalizer(ptr: Pointer, ...args: FinalizerArgs): Promise<Resource>;
  removeFinalizer(ptr: Pointer, ...args: FinalizerArgs): Promise<Resource>;
  /** Read, apply recipe, write; a version conflict restarts from the read. No-op results write nothing. */
  updateWithConflicts<S>(ptr: Pointer, recipe: Recipe<S>, opts?: UpdateOptions): Promise<Resource<S>>;
  /** Pointer: update an existing resource. Template resource: create it (recipe applied) when absent. */
  modify<S>(target: Pointer | Resource<S>, recipe: Recipe<S>, opts?: UpdateOptions): Promise<Resource<S>>;
  teardownAndDestroy(ptr: Pointer, opts?: OwnerOptions): Promise<void>;
  /** The first event (initial state included) that matches every given condition. */
  watchFor<S = unknown>(ptr: Pointer, opts?: WatchForOptions): Promise<StateEvent<S>>;
  /** Resolves once the initial state is known to a signal that aborts when the resource goes away or tears down. */
  signalWithTeardown(ptr: Pointer, opts?: SignalOptions): Promise<AbortSignal>;
}
