// Helpers for tests of cluster-discovery controllers (`@cosi-ts/cluster/testing`); not for production code.
export { untilState } from './until-state.ts';
export { startRuntime } from './harness.ts';
export type { Harness } from './harness.ts';
