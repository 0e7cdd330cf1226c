import { InMemoryState } from './in-memory-state.ts';
import { stateConformance } from './conformance/index.ts';
import type { StateConformanceOptions } from './conformance/index.ts';

const settings: readonly { name: string; history: { historyCapacity?: number; historyGap?: number } }[] = [
  { name: 'InMemoryState (default history)', history: {} },
  { name: 'InMemoryState (capacity 64, gap 8)', history: { historyCapacity: 64, historyGap: 8 } },
  { name: 'InMemoryState (capacity 4096, gap 0)', history: { historyCapacity: 4096, historyGap: 0 } },
];

for (const { name, history } of settings) {
  const options: StateConformanceOptions = {
    open: () => new InMemoryState(history),
    smallHistory: (capacity, gap) => new InMemoryState({ historyCapacity: capacity, historyGap: gap }),
    capabilities: { tail: true, persistent: false },
  };
  stateConformance(name, options);
}
