import { describe, it, expect } from 'vitest';
import { InMemoryState, isNotFound } from '@cosi-ts/state';
import { eventually } from '../conformance/eventually.ts';
import { main } from './main.ts';
import { Ints, Sentences } from './types.ts';

describe('docs example', () => {
  for (const style of ['imperative', 'queue'] as const) {
    it(`runs the ${style} chain Ints → Strs → Sentences, and follows deletes`, async () => {
      const state = new InMemoryState();
      const ac = new AbortController();
      const done = main(state, ac.signal, style);
      await state.create(Ints.create('one', { value: 1 }));
      await state.create(Ints.create('two', { value: 2 }));
      const text = (id: string) => state.get<{ text: string }>(Sentences.pointer(id)).then((r) => r.spec.text);
      await eventually(async () => {
        expect(await text('one')).toBe('the number 1');
        expect(await text('two')).toBe('the number 2');
      });
      await state.destroy(Ints.pointer('two'));
      await eventually(async () => expect(await text('two').catch((e: unknown) => (isNotFound(e) ? 'gone' : e))).toBe('gone'));
      ac.abort();
      await done;
    });
  }
});
