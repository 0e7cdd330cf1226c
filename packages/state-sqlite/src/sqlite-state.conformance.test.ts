import { afterAll } from 'vitest';
import { stateConformance } from '@cosi-ts/state/conformance';
import type { State } from '@cosi-ts/state';
import { SqliteState } from './sqlite-state.ts';
import { TempStateFiles } from './testing/index.ts';

const files = new TempStateFiles();
afterAll(() => files.dispose());

const sqlite = (s: State): SqliteState => {
  if (!(s instanceof SqliteState)) throw new TypeError('not a SqliteState');
  return s;
};

for (const synchronous of ['full', 'normal'] as const) {
  stateConformance(`SqliteState (synchronous ${synchronous})`, {
    open: () => files.open({ synchronous }),
    reopen: (previous) => files.reopen(sqlite(previous), { synchronous }),
    close: (s) => files.close(sqlite(s)),
    smallHistory: (capacity) => files.open({ synchronous, history: { maxEventsPerKind: capacity } }),
    compact: (s) => void sqlite(s).compact({ keepEvents: 0, keepAgeMs: 0 }),
    capabilities: { tail: true, persistent: true },
  });
}
