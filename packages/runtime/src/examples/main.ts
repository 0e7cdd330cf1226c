// Runs the chain Ints → Strs → Sentences over an in-memory state:
//   node --conditions=@cosi-ts/source --import tsx packages/runtime/src/examples/main.ts
import { pathToFileURL } from 'node:url';
import { Runtime } from '@cosi-ts/runtime';
import { InMemoryState, type State } from '@cosi-ts/state';
import { intToStr } from './int-to-str.ts';
import { qIntToStr } from './q-int-to-str.ts';
import { strToSentence } from './str-to-sentence.ts';
import { Ints, Sentences } from './types.ts';

/** Registers one Int → Str controller (either style) and the transform, and runs until `signal` aborts. */
export async function main(state: State, signal: AbortSignal, style: 'imperative' | 'queue' = 'imperative'): Promise<void> {
  const rt = new Runtime(state);
  rt.register(style === 'queue' ? qIntToStr : intToStr);
  rt.register(strToSentence);
  await rt.run(signal); // resolves after a graceful shutdown once `signal` aborts
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const state = new InMemoryState();
  const ac = new AbortController();
  const done = main(state, ac.signal);
  await state.create(Ints.create('one', { value: 1 }));
  await state.create(Ints.create('two', { value: 2 }));
  await state.watchFor(Sentences.pointer('two'), { eventTypes: ['created'], signal: AbortSignal.timeout(5000) });
  for (const s of await state.list<{ text: string }>(Sentences.kind())) process.stdout.write(`${s.metadata.id}: ${s.spec.text}\n`);
  ac.abort();
  await done;
}
