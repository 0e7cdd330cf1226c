import { defineResourceType } from '@cosi-ts/resource';
import { InMemoryState, isNotFound, toAsyncIterable } from '@cosi-ts/state';
import { RemoteState, StateServer } from '@cosi-ts/api';

interface GreetingSpec { text: string }
const Greetings = defineResourceType<GreetingSpec>({ type: 'Greetings.demo.cosi.dev', defaultNamespace: 'demo' });

export async function serveAndWatch(): Promise<string[]> {
  // Serve any State. Without a token file the server refuses every non-loopback address.
  const server = new StateServer(new InMemoryState());
  const { address } = await server.listen('127.0.0.1:0');

  // RemoteState is a State: the same calls, typed errors and watches as in process.
  const remote = new RemoteState(address);
  const seen: string[] = [];
  const stop = new AbortController();
  const watching = (async () => {
    const watch = remote.watchKind<GreetingSpec>(Greetings.kind(), { bootstrapContents: true, signal: stop.signal });
    for await (const e of toAsyncIterable(watch)) {
      seen.push(e.type === 'created' || e.type === 'updated' ? `${e.type} ${e.resource.spec.text}` : e.type);
      if (seen.length === 3) stop.abort();
    }
  })();
  const hello = await remote.create(Greetings.create('hello', { text: 'hello' }));
  await remote.modify<GreetingSpec>(hello.metadata, (draft) => { draft.spec.text = 'hello, world'; });
  await watching;
  const missing = await remote.get(Greetings.pointer('nobody')).catch((e: unknown) => e);
  if (isNotFound(missing)) seen.push('NotFound');
  await remote.close();
  await server.close();
  return seen; // ['bootstrapped', 'created hello', 'updated hello, world', 'NotFound']
}
