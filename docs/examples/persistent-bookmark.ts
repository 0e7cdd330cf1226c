import { firstValueFrom } from 'rxjs';
import { defineResourceType } from '@cosi-ts/resource';
import { toAsyncIterable } from '@cosi-ts/state';
import { SqliteState } from '@cosi-ts/state-sqlite';

interface NoteSpec { text: string }
const Notes = defineResourceType<NoteSpec>({ type: 'Notes.demo.cosi.dev', defaultNamespace: 'demo' });

/** A bookmark taken before a restart resumes exactly after it: the log lives in the database file. */
export async function resumeAcrossRestart(path: string): Promise<string[]> {
  let state = new SqliteState({ path });
  await state.create(Notes.create('a', { text: 'first' }));
  // `bootstrapBookmark` sends the kind's current position first, as a `noop` event.
  const position = await firstValueFrom(state.watchKind(Notes.kind(), { bootstrapBookmark: true }));
  if (position.type !== 'noop') throw new Error('expected the position first');
  await state.close();

  state = new SqliteState({ path }); // a restart: the same file, the same store
  await state.modify<NoteSpec>(Notes.pointer('a'), (d) => { d.spec.text = 'second'; });
  await state.create(Notes.create('b', { text: 'third' }));
  const seen: string[] = [];
  const stop = new AbortController();
  const watch = state.watchKind<NoteSpec>(Notes.kind(), { startFromBookmark: position.bookmark, signal: stop.signal });
  for await (const e of toAsyncIterable(watch)) {
    if (e.type === 'created' || e.type === 'updated' || e.type === 'destroyed') seen.push(`${e.type} ${e.resource.metadata.id} ${e.resource.spec.text}`);
    if (seen.length === 2) stop.abort();
  }
  await state.close();
  return seen; // ['updated a second', 'created b third']
}
