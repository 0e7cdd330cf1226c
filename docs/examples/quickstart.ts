import { defineResourceType } from '@cosi-ts/resource';
import { InMemoryState, toAsyncIterable } from '@cosi-ts/state';

// A resource type: plural name + group, default namespace, typed spec.
interface GreetingSpec { text: string }
const Greetings = defineResourceType<GreetingSpec>({ type: 'Greetings.demo.cosi.dev', defaultNamespace: 'demo' });

export async function quickstart(): Promise<string[]> {
  const state = new InMemoryState();
  const seen: string[] = [];
  const stop = new AbortController();
  // Watch the kind: current contents first, then `bootstrapped`, then every change as it happens.
  const watching = (async () => {
    const watch = state.watchKind<GreetingSpec>(Greetings.kind(), { bootstrapContents: true, signal: stop.signal });
    for await (const e of toAsyncIterable(watch)) {
      if (e.type === 'created' || e.type === 'updated') seen.push(`${e.type} ${e.resource.spec.text} v${e.resource.metadata.version}`);
      if (seen.length === 2) stop.abort();
    }
  })();
  const hello = await state.create(Greetings.create('hello', { text: 'hello' }));
  await state.modify<GreetingSpec>(hello.metadata, (draft) => { draft.spec.text = 'hello, world'; });
  await watching;
  return seen; // ['created hello v1', 'updated hello, world v2']
}
