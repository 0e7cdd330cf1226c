import { afterAll } from 'vitest';
import { InMemoryState } from '@cosi-ts/state';
import type { State } from '@cosi-ts/state';
import { stateConformance } from '@cosi-ts/state/conformance';
import { RemoteState } from './remote-state.ts';
import { StateServer } from './state-server.ts';

// The whole state contract, through a real loopback gRPC connection: RemoteState → StateServer → InMemoryState.
const servers = new Map<State, StateServer>();

async function serve(backend: InMemoryState): Promise<RemoteState> {
  const server = new StateServer(backend);
  const { address } = await server.listen('127.0.0.1:0');
  const remote = new RemoteState(address);
  servers.set(remote, server);
  return remote;
}

stateConformance('RemoteState over StateServer(InMemoryState)', {
  open: () => serve(new InMemoryState()),
  smallHistory: (capacity, gap) => serve(new InMemoryState({ historyCapacity: capacity, historyGap: gap })),
  close: async (state) => {
    await (state as RemoteState).close();
    await servers.get(state)?.close();
    servers.delete(state);
  },
  capabilities: { tail: true, persistent: false },
});

afterAll(async () => {
  for (const [remote, server] of servers) {
    await (remote as RemoteState).close();
    await server.close();
  }
});
