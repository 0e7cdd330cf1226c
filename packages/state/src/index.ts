export type {
  Bookmark,
  SignalOptions,
  OwnerOptions,
  UpdateOptions,
  ListOptions,
  StateEvent,
  StateEventType,
  WatchOptions,
  WatchKindOptions,
  WatchForOptions,
  FinalizerArgs,
  CoreState,
  State,
} from './state.ts';
export {
  StateError,
  NotFoundError,
  ConflictError,
  OwnerConflictError,
  PhaseConflictError,
  InvalidBookmarkError,
  UnsupportedError,
  OverrunError,
  isStateError,
  isNotFound,
  isConflict,
  isOwnerConflict,
  isPhaseConflict,
  isInvalidBookmark,
  isUnsupported,
  isOverrun,
} from './errors.ts';
export type { StateErrorCode, ConflictReason, ConflictDetails, KindFilter } from './errors.ts';
export type { Recipe } from '@cosi-ts/resource';
export { wrapCore } from './wrap-core.ts';
export { InMemoryState } from './in-memory-state.ts';
export type { InMemoryStateOptions } from './in-memory-state.ts';
export { encodeBookmark, decodeBookmark, kindKeyOf } from './bookmark.ts';
export type { DecodedBookmark } from './bookmark.ts';
export { register, registerNamespace, registerDefaults, resolveType, metaOwner } from './meta.ts';
export { toAsyncIterable, BufferOverflowError } from './to-async-iterable.ts';
export type { ToAsyncIterableOptions } from './to-async-iterable.ts';
// Building blocks for other backends (and the remote client), so that they share these semantics.
export { filterEvent } from './event-filter.ts';
export type { ResourceMatcher } from './event-filter.ts';
export { checkWatchOptions, compileFilter } from './watch-options.ts';
export { resyncDiff } from './resync-diff.ts';
// Argument checks and the bookmark layout, for other backends (state-sqlite, state-etcd) to validate
// exactly as InMemoryState does.
export {
  checkKind,
  checkPointer,
  checkResource,
  ownerOption,
  expectedPhaseOption,
  storedLabels,
  storedFinalizers,
  storedSpec,
  freezeResource,
  describeArg,
} from './stored-resource.ts';
export { bookmarkHeader, bookmarkAt, positionIn, STORE_ID_BYTES } from './bookmark.ts';
