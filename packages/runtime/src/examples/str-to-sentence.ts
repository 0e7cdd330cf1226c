import { map } from 'rxjs';
import { transform } from '@cosi-ts/runtime';
import { Sentences, Strs } from './types.ts';

/** Declarative style: an rxjs pipeline per input; the runtime writes and removes the outputs. */
export const strToSentence = transform<{ value: string }, { text: string }>({
  name: 'StrToSentence',
  input: { type: Strs, namespace: 'strs' },
  output: { type: Sentences, namespace: 'sentences' },
  pipeline: (str$) => str$.pipe(map((s) => ({ spec: { text: `the number ${s.spec.value}` } }))),
});
