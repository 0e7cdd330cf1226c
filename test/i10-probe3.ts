import { credentials, Metadata } from '@grpc/grpc-js';
import { InMemoryState } from '@cosi-ts/state';
import { defineResourceType } from '@cosi-ts/resource';
import { StateServer, RemoteState } from '../packages/api/src/index.ts';
import { StateClient } from '../packages/api/src/gen/cosi/resource/state.ts';
const T = defineResourceType<{ value: string }>({ type: 'Probes.test.cosi.dev', defaultNamespace: 'p' });
const mem = new InMemoryState();
await mem.create(T.create('a', { value: 'x' }));
const server = new StateServer(mem);
const { address } = await server.listen('127.0.0.1:0');
const client = new StateClient(address, credentials.createInsecure());
const call = () => new Promise<void>((res, rej) => client.get({ namespace: 'p', type: T.type, id: 'a', options: {} }, new Metadata(), {}, (e) => (e ? rej(e) : res())));
for (let k = 0; k < 2; k++) {
  const t = performance.now();
  for (let i = 0; i < 1000; i++) await call();
  console.log('raw client → StateServer get', ((performance.now() - t) / 1000).toFixed(3), 'ms');
}
const remote = new RemoteState(address);
for (let k = 0; k < 2; k++) {
  const t = performance.now();
  for (let i = 0; i < 1000; i++) await remote.get(T.pointer('a'));
  console.log('RemoteState get', ((performance.now() - t) / 1000).toFixed(3), 'ms');
}
client.close(); await remote.close(); await server.close();
