import type { Kind, Resource } from '@cosi-ts/resource';
import type { State, StateEvent } from '@cosi-ts/state';
import { formatJson, formatStreamRow, formatTable, formatYaml, headerOf, rowOf, type EventKind, type OutputFormat } from './output-format.ts';
import { fetchDefinitions, resolveType } from './resolve-type.ts';

export interface GetOptions {
  readonly type: string;
  readonly id?: string;
  readonly namespace?: string;
  readonly output: OutputFormat;
  readonly watch: boolean;
  /** Ends a watch (Ctrl-C). */
  readonly signal: AbortSignal;
  readonly write: (s: string) => void;
}

/** `cosictl get`: a listing, or with `watch` one row per event until `signal` aborts. */
export async function runGet(state: State, o: GetOptions): Promise<void> {
  const def = resolveType(await fetchDefinitions(state), o.type);
  const kind: Kind = { namespace: o.namespace ?? def.defaultNamespace, type: def.type };
  const print = (resources: readonly Resource<unknown>[], event?: EventKind): void => {
    if (o.output === 'json') for (const r of resources) o.write(formatJson(r, event));
    else if (o.output === 'yaml') for (const r of resources) o.write(formatYaml(r, event));
    else if (event === undefined) o.write(formatTable([headerOf(def, false), ...resources.map((r) => rowOf(def, r))]));
    else for (const r of resources) o.write(formatStreamRow(headerOf(def, true), rowOf(def, r, event)));
  };
  if (!o.watch) {
    if (o.id !== undefined) print([await state.get({ ...kind, id: o.id })]);
    else print([...(await state.list(kind))].sort((a, b) => (a.metadata.id < b.metadata.id ? -1 : 1)));
    return;
  }
  if (o.output === 'table') o.write(formatStreamRow(headerOf(def, true), headerOf(def, true)));
  const events = o.id !== undefined ? state.watch({ ...kind, id: o.id }) : state.watchKind(kind, { bootstrapContents: true });
  await new Promise<void>((resolve, reject) => {
    const sub = events.subscribe({
      next: (ev: StateEvent) => {
        if (ev.type === 'errored') {
          sub.unsubscribe();
          reject(ev.error);
        } else if (ev.type === 'created' || ev.type === 'updated' || ev.type === 'destroyed') {
          print([ev.resource as Resource<unknown>], ev.type);
        }
      },
      error: (e: unknown) => reject(e),
      complete: () => resolve(),
    });
    const stop = (): void => {
      sub.unsubscribe();
      resolve();
    };
    if (o.signal.aborted) stop();
    else o.signal.addEventListener('abort', stop, { once: true });
  });
}
