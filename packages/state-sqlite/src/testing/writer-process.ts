// A child process for the crash and lock tests: opens a state file and writes until killed, printing
// one line per resolved (committed) write. Usage: node --import tsx writer-process.ts <path> <rounds>
import { defineResourceType } from '@cosi-ts/resource';
import { SqliteState } from '../sqlite-state.ts';
import { isSqliteStateError } from '../errors.ts';

const Counter = defineResourceType<{ value: number }>({ type: 'Counters.crash.cosi.dev', defaultNamespace: 'crash' });

const [path, roundsArg] = process.argv.slice(2);
if (path === undefined) throw new Error('usage: writer-process <path> [rounds]');
const rounds = roundsArg === undefined ? Number.POSITIVE_INFINITY : Number(roundsArg);

let state: SqliteState;
try {
  state = new SqliteState({ path, synchronous: 'full' });
} catch (e) {
  process.stdout.write(`refused ${isSqliteStateError(e) ? e.code : 'other'} ${(e as Error).message}\n`);
  process.exit(3);
}
process.stdout.write('open\n');

const IDS = 50;
for (let i = 0; i < IDS; i++) {
  const ptr = Counter.pointer(`c${i}`);
  await state.get(ptr).catch(() => state.create(Counter.create(`c${i}`, { value: 0 })));
}
for (let round = 0; round < rounds; round++) {
  // 1000 concurrent read-modify-writes over 50 counters: they interleave and retry on conflicts.
  await Promise.all(
    Array.from({ length: 1000 }, async (_, j) => {
      const r = await state.updateWithConflicts<{ value: number }>(Counter.pointer(`c${j % IDS}`), async (d) => {
        await Promise.resolve();
        d.spec.value += 1;
      });
      process.stdout.write(`w ${r.metadata.id} ${r.metadata.version}\n`);
    }),
  );
}
await state.close();
process.stdout.write('done\n');
