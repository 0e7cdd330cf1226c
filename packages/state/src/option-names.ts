import { knownOptions } from '@cosi-ts/resource';

// The options each State call knows (state.ts): anything else is an UnknownOptionError, so that a
// misspelling is never silently ignored. Shared with other backends through the building blocks.

export const GET_OPTIONS = knownOptions('signal');
export const LIST_OPTIONS = knownOptions('signal', 'labels', 'idQuery');
/** create, destroy, teardown, teardownAndDestroy. */
export const OWNER_OPTIONS = knownOptions('owner', 'signal');
/** update, modify, updateWithConflicts. */
export const UPDATE_OPTIONS = knownOptions('owner', 'signal', 'expectedPhase');
export const WATCH_OPTIONS = knownOptions('tailEvents', 'startFromBookmark', 'signal');
export const WATCH_KIND_OPTIONS = knownOptions(
  'bootstrapContents',
  'bootstrapBookmark',
  'tailEvents',
  'startFromBookmark',
  'labels',
  'idQuery',
  'signal',
);
export const WATCH_FOR_OPTIONS = knownOptions('eventTypes', 'phases', 'finalizersEmpty', 'predicate', 'signal');
/** signalWithTeardown and the trailing options of addFinalizer / removeFinalizer. */
export const SIGNAL_OPTIONS = knownOptions('signal');
