import { knownOptions } from '@cosi-ts/resource';

// The options each public runtime call knows; anything else is an UnknownOptionError (issue 17 §6).

export const RUNTIME_OPTIONS = knownOptions('logger', 'metrics', 'changeRateLimit', 'backoff', 'shutdownTimeoutMs', 'clock');
export const BACKOFF_OPTIONS = knownOptions('initialMs', 'maxMs', 'multiplier', 'jitter', 'random');
export const RATE_LIMIT_OPTIONS = knownOptions('perSecond', 'burst');
export const READ_OPTIONS = knownOptions('uncached');
export const CONTEXT_LIST_OPTIONS = knownOptions('uncached', 'labels', 'idQuery');
export const PHASE_OPTIONS = knownOptions('expectedPhase');
export const CONTEXT_OWNER_OPTIONS = knownOptions('owner');
export const TRANSFORM_OPTIONS = knownOptions('name', 'input', 'output', 'extraInputs', 'pipeline');
export const TRANSFORM_INPUT_OPTIONS = knownOptions('type', 'namespace', 'labels', 'idQuery');
export const TRANSFORM_OUTPUT_OPTIONS = knownOptions('type', 'namespace', 'kind');
