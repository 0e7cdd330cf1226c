import { applyRecipe, checkOptions, formatPointer, pointerOf, resourceEquals, withMetadata } from '@cosi-ts/resource';
import type { Pointer, Recipe, Resource } from '@cosi-ts/resource';
import { Subscription } from 'rxjs';
import { ConflictError, OwnerConflictError, PhaseConflictError, isConflict, isNotFound } from './errors.ts';
import { OWNER_OPTIONS, SIGNAL_OPTIONS, UPDATE_OPTIONS, WATCH_FOR_OPTIONS } from './option-names.ts';
import { ResourceQueue } from './resource-queue.ts';
import { checkPointer, checkResource, describeArg, expectedPhaseOption, ownerOption } from './stored-resource.ts';
import type {
  CoreState,
  FinalizerArgs,
  OwnerOptions,
  SignalOptions,
  State,
  StateEvent,
  UpdateOptions,
  WatchForOptions,
} from './state.ts';

const ABSENT: unique symbol = Symbol('absent');

const isVersionConflict = (e: unknown): boolean =>
  isConflict(e) && (e as ConflictError).code === 'Conflict' && (e as ConflictError).reason === 'version';

function splitFinalizerArgs(
  op: string,
  ptr: Pointer,
  args: FinalizerArgs,
): { finalizers: readonly string[]; signal: AbortSignal | undefined } {
  const last: unknown = args[args.length - 1];
  const hasOptions = last !== undefined && typeof last === 'object' && last !== null;
  if (hasOptions) checkOptions(() => `${op} ${describeArg(ptr)}`, last, SIGNAL_OPTIONS);
  const finalizers = (hasOptions ? args.slice(0, -1) : args) as readonly unknown[];
  finalizers.forEach((f, i) => {
    if (typeof f !== 'string' || f === '') {
      throw new TypeError(`${op} ${describeArg(ptr)}: finalizer ${i + 1} must be a non-empty string, got ${f === '' ? "''" : typeof f}`);
    }
  });
  return { finalizers: finalizers as readonly string[], signal: hasOptions ? (last as SignalOptions).signal : undefined };
}

function checkRecipe(op: string, ptr: unknown, recipe: unknown): void {
  if (typeof recipe !== 'function') {
    const name = typeof ptr === 'object' && ptr !== null ? describeArg(ptr) : String(ptr);
    throw new TypeError(`${op} ${name}: recipe must be a function, got ${typeof recipe}`);
  }
}

function checkOwner(r: Resource, owner: string): void {
  if (r.metadata.owner !== owner) throw new OwnerConflictError(pointerOf(r.metadata), owner, r.metadata.owner);
}

function checkPhase(r: Resource, expected: UpdateOptions['expectedPhase']): void {
  const want = expected ?? 'running';
  if (want !== 'any' && r.metadata.phase !== want) throw new PhaseConflictError(pointerOf(r.metadata), want, r.metadata.phase);
}

const isTemplate = <S>(target: Pointer | Resource<S>): target is Resource<S> =>
  typeof (target as Resource<S>).metadata === 'object' && (target as Resource<S>).metadata !== null;

/**
 * Builds the full {@link State} over a backend's primitives. Everything here goes through the
 * public core methods only (get/create/update/destroy/watch), so it holds for any backend,
 * local or remote; races are settled by the core's version check and retried. The read-modify-writes
 * (modify, updateWithConflicts, finalizer edits, teardown) of one resource wait in one line per
 * resource, so racing callers of this State do not make each other retry: only writers from outside
 * it (a plain update, another process) cause a retry.
 */
export function wrapCore(core: CoreState): State {
  const queue = new ResourceQueue();

  /** Read-modify-write; ABSENT when the resource is missing and `absentOk`. */
  async function updateLoop<S>(
    ptr: Pointer,
    recipe: Recipe<S>,
    opts: UpdateOptions,
    absentOk: boolean,
  ): Promise<Resource<S> | typeof ABSENT> {
    const owner = ownerOption('updateWithConflicts', ptr, opts.owner);
    expectedPhaseOption('updateWithConflicts', ptr, opts.expectedPhase);
    for (;;) {
      opts.signal?.throwIfAborted();
      let current: Resource<S>;
      try {
        current = await core.get<S>(ptr, opts.signal ? { signal: opts.signal } : {});
      } catch (e) {
        if (absentOk && isNotFound(e)) return ABSENT;
        throw e;
      }
      checkOwner(current, owner);
      checkPhase(current, opts.expectedPhase);
      const next = await applyRecipe(current, recipe);
      // §1.4: a result equal to what is stored writes nothing.
      if (next === current || resourceEquals(next, current)) return current;
      opts.signal?.throwIfAborted();
      try {
        return await core.update(next, opts);
      } catch (e) {
        if (isVersionConflict(e)) continue;
        if (absentOk && isNotFound(e)) return ABSENT;
        throw e;
      }
    }
  }

  /** modify of a template: update it when present, else create it with the recipe applied. */
  async function createOrUpdate<S>(target: Resource<S>, ptr: Pointer, recipe: Recipe<S>, opts: UpdateOptions): Promise<Resource<S>> {
    for (;;) {
      const updated = await updateLoop(ptr, recipe, opts, true);
      if (updated !== ABSENT) return updated;
      opts.signal?.throwIfAborted();
      const prepared = await applyRecipe(target, recipe);
      try {
        const { owner, signal } = opts;
        return await core.create(prepared, { ...(owner === undefined ? {} : { owner }), ...(signal === undefined ? {} : { signal }) });
      } catch (e) {
        // Lost the create race to a writer outside this State: the resource exists now, so update it instead.
        if (isConflict(e) && (e as ConflictError).code === 'Conflict' && (e as ConflictError).reason === 'exists') continue;
        throw e;
      }
    }
  }

  /** Finalizer edits: no owner check, any phase; nothing written when nothing changes. */
  async function editFinalizers(
    op: string,
    ptr: Pointer,
    args: FinalizerArgs,
    edit: (current: readonly string[], given: readonly string[]) => readonly string[] | undefined,
  ): Promise<Resource> {
    checkPointer(op, ptr);
    const { finalizers, signal } = splitFinalizerArgs(op, ptr, args);
    return queue.run(ptr, signal, () => editFinalizersNow(ptr, finalizers, signal, edit));
  }

  async function editFinalizersNow(
    ptr: Pointer,
    finalizers: readonly string[],
    signal: AbortSignal | undefined,
    edit: (current: readonly string[], given: readonly string[]) => readonly string[] | undefined,
  ): Promise<Resource> {
    for (;;) {
      signal?.throwIfAborted();
      const current = await core.get(ptr, signal ? { signal } : {});
      const next = edit(current.metadata.finalizers, finalizers);
      if (next === undefined) return current;
      try {
        return await core.update(withMetadata(current, { finalizers: next }), {
          owner: current.metadata.owner,
          expectedPhase: 'any',
          ...(signal ? { signal } : {}),
        });
      } catch (e) {
        if (isVersionConflict(e)) continue;
        throw e;
      }
    }
  }

  async function teardown(ptr: Pointer, opts: OwnerOptions = {}): Promise<boolean> {
    checkPointer('teardown', ptr);
    checkOptions(() => `teardown ${formatPointer(ptr)}`, opts, OWNER_OPTIONS);
    const owner = ownerOption('teardown', ptr, opts.owner);
    return queue.run(ptr, opts.signal, () => teardownNow(ptr, owner, opts));
  }

  async function teardownNow(ptr: Pointer, owner: string, opts: OwnerOptions): Promise<boolean> {
    for (;;) {
      opts.signal?.throwIfAborted();
      const current = await core.get(ptr, opts.signal ? { signal: opts.signal } : {});
      checkOwner(current, owner);
      if (current.metadata.phase === 'tearingDown') return current.metadata.finalizers.length === 0;
      try {
        const written = await core.update(withMetadata(current, { phase: 'tearingDown' }), {
          ...opts,
          owner,
          expectedPhase: 'running',
        });
        return written.metadata.finalizers.length === 0;
      } catch (e) {
        // Lost a race to another writer (maybe another teardown): read again.
        if (isVersionConflict(e)) continue;
        throw e;
      }
    }
  }

  function watchFor<S = unknown>(ptr: Pointer, opts: WatchForOptions = {}): Promise<StateEvent<S>> {
    checkPointer('watchFor', ptr);
    checkOptions(() => `watchFor of ${formatPointer(ptr)}`, opts, WATCH_FOR_OPTIONS);
    const { eventTypes, phases, finalizersEmpty, predicate, signal } = opts;
    const matches = (ev: StateEvent<S>): boolean => {
      if (ev.type === 'errored') return false;
      if (eventTypes && !eventTypes.includes(ev.type)) return false;
      if (phases && !phases.includes(ev.resource.metadata.phase)) return false;
      if (finalizersEmpty && (ev.type === 'destroyed' || ev.resource.metadata.finalizers.length !== 0)) return false;
      if (predicate && !predicate(ev as StateEvent)) return false;
      return true;
    };
    return new Promise<StateEvent<S>>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      // Added to before the watch starts, so an event delivered during subscribe still releases it.
      const sub = new Subscription();
      let done = false;
      const finish = (fn: () => void) => {
        if (done) return;
        done = true;
        signal?.removeEventListener('abort', onAbort);
        sub.unsubscribe();
        fn();
      };
      const onAbort = () => finish(() => reject(signal?.reason));
      signal?.addEventListener('abort', onAbort, { once: true });
      sub.add(
        core.watch<S>(ptr).subscribe({
          next: (ev) => {
            if (ev.type === 'errored') finish(() => reject(ev.error));
            else if (matches(ev)) finish(() => resolve(ev));
          },
          error: (e: unknown) => finish(() => reject(e)),
          complete: () =>
            finish(() => reject(new Error(`watch of ${ptr.namespace}/${ptr.type}/${ptr.id} ended before a matching event`))),
        }),
      );
    });
  }

  const state: State = {
    get: (ptr, opts) => core.get(ptr, opts),
    list: (kind, opts) => core.list(kind, opts),
    create: (res, opts) => core.create(res, opts),
    update: (res, opts) => core.update(res, opts),
    destroy: (ptr, opts) => core.destroy(ptr, opts),
    watch: (ptr, opts) => core.watch(ptr, opts),
    watchKind: (kind, opts) => core.watchKind(kind, opts),
    watchKindAggregated: (kind, opts) => core.watchKindAggregated(kind, opts),

    teardown,

    addFinalizer: (ptr, ...args) =>
      editFinalizers('addFinalizer', ptr, args, (current, given) => {
        const next = [...current];
        for (const f of given) if (!next.includes(f)) next.push(f);
        return next.length === current.length ? undefined : next;
      }),

    removeFinalizer: (ptr, ...args) =>
      editFinalizers('removeFinalizer', ptr, args, (current, given) => {
        const next = current.filter((f) => !given.includes(f));
        return next.length === current.length ? undefined : next;
      }),

    // Plain functions returning the queue's promise (no async wrapper: a lone writer pays no extra
    // promise hops); argument errors still reject rather than throw.
    updateWithConflicts<S>(ptr: Pointer, recipe: Recipe<S>, opts: UpdateOptions = {}): Promise<Resource<S>> {
      try {
        checkPointer('updateWithConflicts', ptr);
        checkOptions(() => `updateWithConflicts ${formatPointer(ptr)}`, opts, UPDATE_OPTIONS);
        checkRecipe('updateWithConflicts', ptr, recipe);
      } catch (e) {
        return Promise.reject(e as Error);
      }
      return queue.run(ptr, opts.signal, () => updateLoop(ptr, recipe, opts, false) as Promise<Resource<S>>);
    },

    modify<S>(target: Pointer | Resource<S>, recipe: Recipe<S>, opts: UpdateOptions = {}): Promise<Resource<S>> {
      try {
        if (isTemplate(target)) checkResource('modify', target);
        else checkPointer('modify', target);
        checkRecipe('modify', target, recipe);
        checkOptions(() => `modify ${formatPointer(isTemplate(target) ? target.metadata : target)}`, opts, UPDATE_OPTIONS);
      } catch (e) {
        return Promise.reject(e as Error);
      }
      if (!isTemplate(target)) return queue.run(target, opts.signal, () => updateLoop(target, recipe, opts, false) as Promise<Resource<S>>);
      const ptr = pointerOf(target.metadata);
      return queue.run(ptr, opts.signal, () => createOrUpdate(target, ptr, recipe, opts));
    },

    async teardownAndDestroy(ptr: Pointer, opts: OwnerOptions = {}): Promise<void> {
      checkPointer('teardownAndDestroy', ptr);
      checkOptions(() => `teardownAndDestroy ${formatPointer(ptr)}`, opts, OWNER_OPTIONS);
      let ready = await teardown(ptr, opts);
      for (;;) {
        if (ready) {
          try {
            await core.destroy(ptr, opts);
            return;
          } catch (e) {
            if (isNotFound(e)) return; // destroyed by someone else: the goal is reached
            if (!(isConflict(e) && (e as ConflictError).reason === 'finalizers')) throw e;
          }
        }
        const ev = await watchFor(ptr, {
          predicate: (e) =>
            e.type === 'destroyed' || (e.type !== 'errored' && e.resource.metadata.finalizers.length === 0),
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
        if (ev.type === 'destroyed') return;
        ready = true;
      }
    },

    watchFor,

    signalWithTeardown(ptr: Pointer, opts: SignalOptions = {}): Promise<AbortSignal> {
      checkPointer('signalWithTeardown', ptr);
      checkOptions(() => `signalWithTeardown ${formatPointer(ptr)}`, opts, SIGNAL_OPTIONS);
      const parent = opts.signal;
      const controller = new AbortController();
      return new Promise<AbortSignal>((resolve) => {
        let sub: Subscription | undefined;
        const release = () => {
          parent?.removeEventListener('abort', onParentAbort);
          sub?.unsubscribe();
          sub = undefined;
        };
        const stop = (reason: unknown) => {
          release();
          if (!controller.signal.aborted) controller.abort(reason);
          resolve(controller.signal);
        };
        const onParentAbort = () => stop(parent?.reason);
        if (parent?.aborted) {
          stop(parent.reason);
          return;
        }
        parent?.addEventListener('abort', onParentAbort, { once: true });
        controller.signal.addEventListener('abort', release, { once: true });
        const where = `${ptr.namespace}/${ptr.type}/${ptr.id}`;
        sub = core.watch(ptr).subscribe({
          next: (ev) => {
            if (ev.type === 'errored') stop(ev.error);
            else if (ev.type === 'destroyed') stop(new Error(`resource ${where} is absent or destroyed`));
            else if (ev.resource.metadata.phase === 'tearingDown') stop(new Error(`resource ${where} is tearing down`));
            else resolve(controller.signal);
          },
          error: (e: unknown) => stop(e),
          complete: () => stop(new Error(`watch of ${where} ended`)),
        });
        if (controller.signal.aborted) release();
      });
    },
  };
  return state;
}
