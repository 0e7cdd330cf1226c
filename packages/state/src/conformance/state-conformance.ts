import { describe } from 'vitest';
import { concurrencyCases } from './cases/concurrency.ts';
import { derivedOperationCases } from './cases/derived-operations.ts';
import { kindWatchCases } from './cases/kind-watch.ts';
import { metaCases } from './cases/meta.ts';
import { overrunCases } from './cases/overrun.ts';
import { queryCases } from './cases/queries.ts';
import { restartCases } from './cases/restart.ts';
import { singleWatchCases } from './cases/single-watch.ts';
import { writeCases } from './cases/writes.ts';
import type { StateConformanceOptions } from './options.ts';

/**
 * Registers the state contract's conformance cases (specs/state.md §10) as a vitest suite named
 * `name`. Cases needing a capability the backend lacks are registered as skipped, so they show.
 */
export function stateConformance(name: string, options: StateConformanceOptions): void {
  describe(`state conformance: ${name}`, () => {
    writeCases(options);
    queryCases(options);
    singleWatchCases(options);
    kindWatchCases(options);
    derivedOperationCases(options);
    metaCases(options);
    overrunCases(options);
    restartCases(options);
    concurrencyCases(options);
  });
}
