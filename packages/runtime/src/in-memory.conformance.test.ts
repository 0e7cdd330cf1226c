import { InMemoryState } from '@cosi-ts/state';
import { runtimeConformance } from './conformance/index.ts';

runtimeConformance('in-memory', {
  open: (history) => new InMemoryState(history ?? {}),
});

runtimeConformance('in-memory, changeRateLimit 10/s burst 20', {
  open: (history) => new InMemoryState(history ?? {}),
  runtimeOptions: { changeRateLimit: { perSecond: 10, burst: 20 } },
});
