export { SqliteState } from './sqlite-state.ts';
export type { SqliteStateOptions, SqliteHistoryOptions, CompactOptions, CompactResult } from './sqlite-state.ts';
export { SqliteStateError, isSqliteStateError } from './errors.ts';
export type { SqliteStateErrorCode } from './errors.ts';
export type { Synchronous } from './schema.ts';
