export { runtimeConformance } from './runtime-conformance.ts';
export type { RuntimeConformanceSetup } from './fixture.ts';
export { Ints, Strs, Sentences } from './types.ts';
export type { IntSpec, StrSpec } from './types.ts';
