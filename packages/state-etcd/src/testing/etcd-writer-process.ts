// A second process for the multi-process test: increments a shared counter n times through its own
// EtcdState, then waits until the counter reaches `total` and prints the version it saw.
// Usage: node --import tsx etcd-writer-process.ts <endpoints,comma,separated> <prefix> <n> <total>
import { defineResourceType } from '@cosi-ts/resource';
import { EtcdState } from '../etcd-state.ts';

const Counter = defineResourceType<{ value: number }>({ type: 'Counters.shared.cosi.dev', defaultNamespace: 'shared' });
const [endpoints, prefix, n, total] = process.argv.slice(2);
if (endpoints === undefined || prefix === undefined || n === undefined || total === undefined) {
  throw new Error('usage: etcd-writer-process <endpoints> <prefix> <n> <total>');
}
const state = new EtcdState({ endpoints: endpoints.split(','), prefix });
const ptr = Counter.pointer('counter');
await state.watchFor(ptr, { eventTypes: ['created'], signal: AbortSignal.timeout(30_000) });
process.stdout.write('ready\n');
await Promise.all(
  Array.from({ length: 4 }, async () => {
    for (let i = 0; i < Number(n) / 4; i++) await state.updateWithConflicts<{ value: number }>(ptr, (d) => void (d.spec.value += 1));
  }),
);
const final = await state.watchFor<{ value: number }>(ptr, {
  predicate: (e) => e.type !== 'errored' && (e.resource.spec as { value: number }).value === Number(total),
  signal: AbortSignal.timeout(60_000),
});
process.stdout.write(`seen ${final.type === 'errored' ? -1 : final.resource.metadata.version}\n`);
await state.close();
