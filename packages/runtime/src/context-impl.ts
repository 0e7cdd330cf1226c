import type { Logger } from 'pino';
import type { Kind, Pointer, Recipe, Resource } from '@cosi-ts/resource';
import { checkOptions, compileIdQuery, formatPointer, matchesLabels } from '@cosi-ts/resource';
import { isNotFound, NotFoundError, type State, type StateEvent, type WatchForOptions } from '@cosi-ts/state';
import type { ContextListOptions, ContextOwnerOptions, ControllerContext, PhaseOptions, ReadOptions } from './controller-context.ts';
import { ptrKey, type Input } from './controller.ts';
import type { ControllerHost } from './controller-host.ts';
import { abortReason } from './clock.ts';
import { MisuseError } from './errors.ts';
import { CONTEXT_LIST_OPTIONS, CONTEXT_OWNER_OPTIONS, PHASE_OPTIONS, READ_OPTIONS } from './option-names.ts';

const ptrOf = (p: Pointer): Pointer => ({ namespace: p.namespace, type: p.type, id: p.id });

// Result readers for host.write, shared rather than made per write.
const asResource = (x: unknown): Resource => x as Resource;
const destroyed = (): null => null;

/** The ControllerContext of one controller (or one Q job): every operation checked by its host (§2, §3). */
export class ContextImpl implements ControllerContext {
  // Option objects of the hot writes, made once: a State never mutates its arguments.
  private readonly createOpts: { readonly owner: string; readonly signal: AbortSignal };
  private readonly signalOpts: { readonly signal: AbortSignal };

  constructor(
    private readonly host: ControllerHost,
    readonly signal: AbortSignal,
  ) {
    this.createOpts = { owner: host.name, signal };
    this.signalOpts = { signal };
  }

  get name(): string {
    return this.host.name;
  }

  get logger(): Logger {
    return this.host.logger;
  }

  private get state(): State {
    return this.host.deps.state;
  }

  events(): AsyncIterable<void> {
    const impl = this.host.eventsImpl;
    if (!impl) throw new MisuseError(`controller "${this.host.name}": events() is only for Controllers (a QController gets reconcile calls)`);
    return impl();
  }

  /** Names a call in an error: `controller "name" get ns/type/id`. */
  private where(op: string, target: Kind | Pointer): string {
    return `controller ${JSON.stringify(this.host.name)} ${op} ${formatPointer(target)}`;
  }

  async get<S = unknown>(ptr: Pointer, opts: ReadOptions = {}): Promise<Resource<S>> {
    checkOptions(() => this.where('get', ptr), opts, READ_OPTIONS);
    this.host.checkRead('get', ptr);
    if (this.signal.aborted) throw abortReason(this.signal); // cached reads too: the controller is stopping
    const w = opts.uncached ? undefined : this.host.cachedWatch(ptr);
    if (!w) {
      this.host.countRead(false);
      return this.state.get<S>(ptr, { signal: this.signal });
    }
    await w.whenBootstrapped(this.signal);
    this.host.countRead(true);
    const o = this.host.overlayOf(w)?.get(ptr.id);
    const r = o ? o.resource : (w.items.get(ptr.id) ?? null);
    if (r === null) throw new NotFoundError(ptrOf(ptr));
    return r as Resource<S>;
  }

  async list<S = unknown>(kind: Kind, opts: ContextListOptions = {}): Promise<readonly Resource<S>[]> {
    checkOptions(() => this.where('list', kind), opts, CONTEXT_LIST_OPTIONS);
    const only = this.host.listableIds(kind);
    if (only === undefined) this.host.checkRead('list', { namespace: kind.namespace, type: kind.type });
    if (this.signal.aborted) throw abortReason(this.signal);
    const scoped = <R extends Resource>(rs: readonly R[]): readonly R[] => (only ? rs.filter((r) => only.has(r.metadata.id)) : rs);
    const w = opts.uncached ? undefined : this.host.cachedWatch(kind);
    if (!w) {
      this.host.countRead(false);
      const lo = { signal: this.signal, ...(opts.labels ? { labels: opts.labels } : {}), ...(opts.idQuery ? { idQuery: opts.idQuery } : {}) };
      return scoped(await this.state.list<S>(kind, lo));
    }
    const idTest = compileIdQuery(opts.idQuery);
    await w.whenBootstrapped(this.signal);
    this.host.countRead(true);
    let base = w.list();
    const o = this.host.overlayOf(w);
    if (o && o.size > 0) {
      const m = new Map(base.map((r) => [r.metadata.id, r] as const));
      for (const [id, e] of o) {
        if (e.resource === null) m.delete(id);
        else m.set(id, e.resource);
      }
      base = [...m.values()].sort((a, b) => (a.metadata.id < b.metadata.id ? -1 : a.metadata.id > b.metadata.id ? 1 : 0));
    }
    base = scoped(base);
    const labels = opts.labels;
    if (!labels && !idTest) return base as readonly Resource<S>[];
    return base.filter((r) => (!idTest || idTest(r.metadata.id)) && matchesLabels(r.metadata.labels, labels)) as Resource<S>[];
  }

  watchFor<S = unknown>(ptr: Pointer, opts: WatchForOptions = {}): Promise<StateEvent<S>> {
    try {
      this.host.checkRead('watchFor', ptr);
    } catch (e) {
      return Promise.reject(e);
    }
    const signal = opts.signal ? AbortSignal.any([opts.signal, this.signal]) : this.signal;
    return this.state.watchFor<S>(ptr, { ...opts, signal });
  }

  signalWithTeardown(ptr: Pointer): Promise<AbortSignal> {
    try {
      this.host.checkRead('signalWithTeardown', ptr);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.state.signalWithTeardown(ptr, { signal: this.signal });
  }

  private touch(ptr: Pointer): void {
    this.host.touched?.add(ptrKey(ptr));
  }

  // create and addFinalizer are a transform's bulk path: plain functions handing back the host's
  // write promise, rather than async ones wrapping it (a frame and two microtask hops per write).
  // Every failure, a synchronous one included, is still a rejection.
  create<S>(resource: Resource<S>): Promise<Resource<S>> {
    try {
      const md = resource.metadata;
      this.host.checkWrite('create', md);
      // No named local closure here: under tsx's keepNames each would cost a defineProperty per call.
      const token = this.host.beforeWrite(this.signal);
      if (token) return token.then(() => this.host.write(md, () => this.state.create(resource, this.createOpts), asResource, true));
      return this.host.write(md, () => this.state.create(resource, this.createOpts), asResource, true);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  async update<S>(resource: Resource<S>, opts: PhaseOptions = {}): Promise<Resource<S>> {
    const md = resource.metadata;
    checkOptions(() => this.where('update', md), opts, PHASE_OPTIONS);
    this.host.checkWrite('update', md);
    const token = this.host.beforeWrite(this.signal);
    if (token) await token;
    const uo = { owner: this.host.name, signal: this.signal, ...(opts.expectedPhase ? { expectedPhase: opts.expectedPhase } : {}) };
    const r = await this.host.write(md, () => this.state.update(resource, uo), asResource);
    this.touch(md);
    return r;
  }

  async modify<S>(target: Pointer | Resource<S>, recipe: Recipe<S>, opts: PhaseOptions = {}): Promise<Resource<S>> {
    const ptr = 'metadata' in target ? target.metadata : target;
    checkOptions(() => this.where('modify', ptr), opts, PHASE_OPTIONS);
    this.host.checkWrite('modify', ptr);
    const token = this.host.beforeWrite(this.signal);
    if (token) await token;
    this.host.countRead(false);
    const mo = { owner: this.host.name, signal: this.signal, ...(opts.expectedPhase ? { expectedPhase: opts.expectedPhase } : {}) };
    const r = await this.host.write(ptr, () => this.state.modify(target, recipe, mo), asResource);
    this.touch(ptr);
    return r;
  }

  async destroy(ptr: Pointer, opts: ContextOwnerOptions = {}): Promise<void> {
    checkOptions(() => this.where('destroy', ptr), opts, CONTEXT_OWNER_OPTIONS);
    this.host.checkWrite('destroy', ptr);
    const token = this.host.beforeWrite(this.signal);
    if (token) await token;
    await this.host.write(
      ptr,
      () => this.state.destroy(ptrOf(ptr), { owner: opts.owner ?? this.host.name, signal: this.signal }),
      destroyed,
    );
  }

  async teardown(ptr: Pointer, opts: ContextOwnerOptions = {}): Promise<boolean> {
    checkOptions(() => this.where('teardown', ptr), opts, CONTEXT_OWNER_OPTIONS);
    this.host.checkWrite('teardown', ptr);
    const token = this.host.beforeWrite(this.signal);
    if (token) await token;
    const cached = this.host.cachedWatch(ptr) !== undefined;
    const { ready } = await this.host.write(
      ptr,
      async () => {
        const ready = await this.state.teardown(ptrOf(ptr), { owner: opts.owner ?? this.host.name, signal: this.signal });
        // teardown returns no resource: read it back so this controller's cached reads see tearingDown.
        const after = cached ? await this.state.get(ptrOf(ptr), { signal: this.signal }).catch((e: unknown) => (isNotFound(e) ? null : undefined)) : undefined;
        return { ready, after };
      },
      (x) => x.after,
    );
    return ready;
  }

  addFinalizer(ptr: Pointer, ...finalizers: string[]): Promise<Resource> {
    try {
      this.host.checkFinalizer('addFinalizer', ptr);
      const token = this.host.beforeWrite(this.signal);
      if (token) return token.then(() => this.host.write(ptr, () => this.addFinalizerOp(ptr, finalizers), asResource));
      return this.host.write(ptr, () => this.addFinalizerOp(ptr, finalizers), asResource);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * `state.addFinalizer` is a read, then an update of that version. When this controller's cache
   * holds the resource, the read is spared: the update goes against the cached version. Any
   * failure of it (a stale cache: version, owner or phase conflict, not found) falls back to
   * `state.addFinalizer`, whose outcome is then the answer, so the result is the same either way.
   */
  private addFinalizerOp(ptr: Pointer, finalizers: readonly string[]): Promise<Resource> {
    const cur = this.host.peek(ptr);
    if (!cur) return this.stateAddFinalizer(ptr, finalizers);
    const have = cur.metadata.finalizers;
    let next: string[] | undefined;
    for (const f of finalizers) {
      if (typeof f !== 'string') return this.stateAddFinalizer(ptr, finalizers); // the State names the bad argument
      if (!have.includes(f) && !next?.includes(f)) (next ??= [...have]).push(f);
    }
    // Nothing to add as far as the cache knows: the State reads and decides.
    if (!next) return this.stateAddFinalizer(ptr, finalizers);
    const updated = { metadata: { ...cur.metadata, finalizers: next }, spec: cur.spec };
    return this.state
      .update(updated, { owner: cur.metadata.owner, expectedPhase: 'any', signal: this.signal })
      .catch(() => this.stateAddFinalizer(ptr, finalizers));
  }

  private stateAddFinalizer(ptr: Pointer, finalizers: readonly string[]): Promise<Resource> {
    return this.state.addFinalizer(ptrOf(ptr), ...finalizers, this.signalOpts);
  }

  async removeFinalizer(ptr: Pointer, ...finalizers: string[]): Promise<Resource | undefined> {
    this.host.checkFinalizer('removeFinalizer', ptr);
    const token = this.host.beforeWrite(this.signal);
    if (token) await token;
    try {
      return await this.host.write(
        ptr,
        () => this.state.removeFinalizer(ptrOf(ptr), ...finalizers, { signal: this.signal }),
        asResource,
      );
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  startTrackingOutputs(): void {
    this.host.touched = new Set();
  }

  async cleanupOutputs(...kinds: Kind[]): Promise<void> {
    const touched = this.host.touched;
    if (!touched) {
      throw new MisuseError(`controller "${this.host.name}": cleanupOutputs() needs a round opened by startTrackingOutputs() first`);
    }
    for (const k of kinds) this.host.checkWrite('cleanupOutputs', k);
    for (const k of kinds) {
      const items = await this.list(k);
      await Promise.all(
        items
          .filter((r) => r.metadata.owner === this.host.name && !touched.has(ptrKey(r.metadata)))
          .map(async (r) => {
            const ptr = ptrOf(r.metadata);
            try {
              const ready =
                r.metadata.phase === 'running' ? await this.teardown(ptr) : r.metadata.finalizers.length === 0;
              // Finalized outputs stay tearingDown; a later round destroys them once released.
              if (ready) await this.destroy(ptr);
            } catch (e) {
              if (!isNotFound(e)) throw e;
            }
          }),
      );
    }
    this.host.restartBackoff.reset();
    this.host.touched = null;
  }

  updateInputs(inputs: readonly Input[]): Promise<void> {
    return this.host.deps.updateInputs(this.host, inputs);
  }

  resetRestartBackoff(): void {
    this.host.restartBackoff.reset();
  }

  queueReconcile(): void {
    this.host.onQueueReconcile();
  }
}
