import type { Logger } from 'pino';
import type { Kind, Pointer, Recipe, Resource } from '@cosi-ts/resource';
import { compileIdQuery, matchesLabels } from '@cosi-ts/resource';
import { isNotFound, NotFoundError, type State, type StateEvent, type WatchForOptions } from '@cosi-ts/state';
import { Backoff, type BackoffPolicy } from './backoff.ts';
import type { Clock } from './clock.ts';
import type { ContextListOptions, ContextOwnerOptions, ControllerContext, PhaseOptions, ReadOptions } from './controller-context.ts';
import { describeKind, describePtr, ptrKey, type Input } from './controller.ts';
import type { Flavour, NormalizedInput, NormalizedOutput } from './dependency-database.ts';
import { AccessError } from './errors.ts';
import type { KindWatch, OverlayEntry } from './kind-watch.ts';
import type { RateLimiter } from './rate-limiter.ts';
import type { RuntimeMetrics } from './runtime-metrics.ts';

export interface HostDeps {
  readonly state: State;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: RuntimeMetrics;
  readonly rateLimiter: RateLimiter | null;
  readonly backoff: BackoffPolicy;
  /** The runtime's cache of a kind, if some controller has an input on it. */
  cacheFor(kind: Kind): KindWatch | undefined;
  updateInputs(host: ControllerHost, inputs: readonly Input[]): Promise<void>;
}

const hosts = new WeakMap<ControllerContext, ControllerHost>();

/** The host behind a context: for runtime-internal controller forms (transform) only. */
export function hostOf(ctx: ControllerContext): ControllerHost | undefined {
  return hosts.get(ctx);
}

const FINALIZER_KINDS = new Set(['strong', 'primary', 'mapped']);

/**
 * Everything the runtime keeps for one registered controller across restarts: its current inputs,
 * read-your-writes overlay, output-tracking round, restart backoff and shutdown signal.
 */
export class ControllerHost {
  readonly logger: Logger;
  readonly outputTypes: ReadonlySet<string>;
  readonly restartBackoff: Backoff;
  /** Aborted when shutdown starts. */
  readonly shutdown = new AbortController();
  /** kind cache → id → this controller's pending write results. */
  readonly overlay = new Map<KindWatch, Map<string, OverlayEntry>>();
  touched: Set<string> | null = null;
  /** Set by the runner: what `queueReconcile()` does. */
  onQueueReconcile: () => void = () => {};
  /** Set by the runner of a Controller: the `events()` implementation. */
  eventsImpl: (() => AsyncIterable<void>) | null = null;
  private pendingCachedReads = 0;
  private pendingUncachedReads = 0;
  private pendingWrites = 0;
  /** Publishes the pending counts and stops publishing (at shutdown). */
  readonly disposeMetrics: () => void;

  constructor(
    readonly name: string,
    readonly flavour: Flavour,
    public inputs: readonly NormalizedInput[],
    readonly outputs: readonly NormalizedOutput[],
    readonly deps: HostDeps,
  ) {
    this.logger = deps.logger.child({ controller: name });
    this.outputTypes = new Set(outputs.map((o) => o.type));
    this.restartBackoff = new Backoff(deps.backoff);
    const cachedReads = deps.metrics.reads.labels({ controller: name, cached: 'true' });
    const uncachedReads = deps.metrics.reads.labels({ controller: name, cached: 'false' });
    const writes = deps.metrics.writes.labels({ controller: name });
    this.disposeMetrics = deps.metrics.addFlusher(() => {
      cachedReads.inc(this.pendingCachedReads);
      uncachedReads.inc(this.pendingUncachedReads);
      writes.inc(this.pendingWrites);
      this.pendingCachedReads = this.pendingUncachedReads = this.pendingWrites = 0;
    });
  }

  context(signal: AbortSignal = this.shutdown.signal): ControllerContext {
    const ctx = new ContextImpl(this, signal);
    hosts.set(ctx, this);
    return ctx;
  }

  // --- access rules (§2) ---

  canRead(ptr: Kind & { id?: string }): boolean {
    if (this.outputTypes.has(ptr.type)) return true;
    return this.inputs.some(
      (i) => i.namespace === ptr.namespace && i.type === ptr.type && (i.id === undefined || (ptr.id !== undefined && i.id === ptr.id)),
    );
  }

  /**
   * For a list of `kind`: null when every id is readable, the readable ids when only id-scoped
   * inputs cover the kind, undefined when nothing does.
   */
  listableIds(kind: Kind): Set<string> | null | undefined {
    if (this.outputTypes.has(kind.type)) return null;
    let ids: Set<string> | undefined;
    for (const i of this.inputs) {
      if (i.namespace !== kind.namespace || i.type !== kind.type) continue;
      if (i.id === undefined) return null;
      (ids ??= new Set()).add(i.id);
    }
    return ids;
  }

  checkRead(op: string, ptr: Kind & { id?: string }): void {
    if (this.canRead(ptr)) return;
    const what = ptr.id === undefined ? `kind ${describeKind(ptr)}` : `resource ${describePtr(ptr as Pointer)}`;
    throw new AccessError(
      this.name,
      op,
      what,
      `reads need an input covering it or an output of type ${ptr.type}; ` +
        `declare { namespace: '${ptr.namespace}', type: '${ptr.type}', kind: 'weak' } in inputs (or add it with ctx.updateInputs())`,
    );
  }

  checkWrite(op: string, ptr: Kind & { id?: string }): void {
    if (this.outputTypes.has(ptr.type)) return;
    const what = ptr.id === undefined ? `kind ${describeKind(ptr)}` : `resource ${describePtr(ptr as Pointer)}`;
    throw new AccessError(
      this.name,
      op,
      what,
      `writes need the type among the controller's outputs; declare { type: '${ptr.type}', kind: 'exclusive' } (or 'shared') in outputs`,
    );
  }

  checkFinalizer(op: string, ptr: Pointer): void {
    const ok = this.inputs.some(
      (i) => FINALIZER_KINDS.has(i.kind) && i.namespace === ptr.namespace && i.type === ptr.type && (i.id === undefined || i.id === ptr.id),
    );
    if (ok) return;
    throw new AccessError(
      this.name,
      op,
      `resource ${describePtr(ptr)}`,
      "finalizer edits need a 'strong' (Controller) or 'primary'/'mapped' (QController) input covering the resource",
    );
  }

  // --- read-your-writes (§6.3) ---

  cachedWatch(kind: Kind): KindWatch | undefined {
    const w = this.deps.cacheFor(kind);
    return w;
  }

  /**
   * What this controller's cached reads would return for `ptr`, without counting a read:
   * a resource, null (absent), or undefined when the kind is not cached or not bootstrapped.
   */
  peek(ptr: Pointer): Resource | null | undefined {
    const w = this.cachedWatch(ptr);
    if (!w?.bootstrapped) return undefined;
    const o = this.overlay.get(w)?.get(ptr.id);
    if (o) return o.resource;
    return w.items.get(ptr.id) ?? null;
  }

  overlayOf(w: KindWatch): Map<string, OverlayEntry> | undefined {
    return this.overlay.get(w);
  }

  /** Runs one write, keeping its result visible to this controller's cached reads until the cache has it. */
  async write<T>(ptr: Pointer, op: () => Promise<T>, result: (t: T) => Resource | null | undefined): Promise<T> {
    const w = this.cachedWatch(ptr);
    w?.beginWrite(ptr.id);
    let entry: OverlayEntry | undefined;
    try {
      const t = await op();
      if (w) {
        const r = result(t);
        if (r !== undefined) entry = this.makeEntry(w, ptr.id, r);
      }
      return t;
    } finally {
      if (w) {
        const added = w.endWrite(ptr.id, entry);
        const prev = this.overlay.get(w)?.get(ptr.id);
        if (prev && prev !== entry && entry !== undefined) {
          w.removeOverlay(prev);
          this.dropEntry(w, prev);
        }
        if (added && entry) {
          let m = this.overlay.get(w);
          if (!m) this.overlay.set(w, (m = new Map()));
          m.set(ptr.id, entry);
        }
      }
    }
  }

  private makeEntry(w: KindWatch, id: string, resource: Resource | null): OverlayEntry {
    const entry: OverlayEntry = { id, resource, drop: () => this.dropEntry(w, entry) };
    return entry;
  }

  private dropEntry(w: KindWatch, entry: OverlayEntry): void {
    const m = this.overlay.get(w);
    if (m?.get(entry.id) === entry) {
      m.delete(entry.id);
      if (m.size === 0) this.overlay.delete(w);
    }
  }

  countRead(cached: boolean): void {
    if (cached) this.pendingCachedReads++;
    else this.pendingUncachedReads++;
  }

  async beforeWrite(signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw signal.reason;
    if (this.deps.rateLimiter) await this.deps.rateLimiter.take(signal);
    this.pendingWrites++;
  }
}

const ptrOf = (p: Pointer): Pointer => ({ namespace: p.namespace, type: p.type, id: p.id });

class ContextImpl implements ControllerContext {
  constructor(
    private readonly host: ControllerHost,
    readonly signal: AbortSignal,
  ) {}

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
    if (!impl) throw new TypeError(`controller "${this.host.name}": events() is only for Controllers (a QController gets reconcile calls)`);
    return impl();
  }

  async get<S = unknown>(ptr: Pointer, opts: ReadOptions = {}): Promise<Resource<S>> {
    this.host.checkRead('get', ptr);
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
    const only = this.host.listableIds(kind);
    if (only === undefined) this.host.checkRead('list', { namespace: kind.namespace, type: kind.type });
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

  async create<S>(resource: Resource<S>): Promise<Resource<S>> {
    const md = resource.metadata;
    this.host.checkWrite('create', md);
    await this.host.beforeWrite(this.signal);
    const r = await this.host.write(
      md,
      () => this.state.create(resource, { owner: this.host.name, signal: this.signal }),
      (x) => x as Resource,
    );
    this.touch(md);
    return r;
  }

  async update<S>(resource: Resource<S>, opts: PhaseOptions = {}): Promise<Resource<S>> {
    const md = resource.metadata;
    this.host.checkWrite('update', md);
    await this.host.beforeWrite(this.signal);
    const uo = { owner: this.host.name, signal: this.signal, ...(opts.expectedPhase ? { expectedPhase: opts.expectedPhase } : {}) };
    const r = await this.host.write(md, () => this.state.update(resource, uo), (x) => x as Resource);
    this.touch(md);
    return r;
  }

  async modify<S>(target: Pointer | Resource<S>, recipe: Recipe<S>, opts: PhaseOptions = {}): Promise<Resource<S>> {
    const ptr = 'metadata' in target ? target.metadata : target;
    this.host.checkWrite('modify', ptr);
    await this.host.beforeWrite(this.signal);
    this.host.countRead(false);
    const mo = { owner: this.host.name, signal: this.signal, ...(opts.expectedPhase ? { expectedPhase: opts.expectedPhase } : {}) };
    const r = await this.host.write(ptr, () => this.state.modify(target, recipe, mo), (x) => x as Resource);
    this.touch(ptr);
    return r;
  }

  async destroy(ptr: Pointer, opts: ContextOwnerOptions = {}): Promise<void> {
    this.host.checkWrite('destroy', ptr);
    await this.host.beforeWrite(this.signal);
    await this.host.write(
      ptr,
      () => this.state.destroy(ptrOf(ptr), { owner: opts.owner ?? this.host.name, signal: this.signal }),
      () => null,
    );
  }

  async teardown(ptr: Pointer, opts: ContextOwnerOptions = {}): Promise<boolean> {
    this.host.checkWrite('teardown', ptr);
    await this.host.beforeWrite(this.signal);
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

  async addFinalizer(ptr: Pointer, ...finalizers: string[]): Promise<Resource> {
    this.host.checkFinalizer('addFinalizer', ptr);
    await this.host.beforeWrite(this.signal);
    return this.host.write(
      ptr,
      () => this.state.addFinalizer(ptrOf(ptr), ...finalizers, { signal: this.signal }),
      (x) => x,
    );
  }

  async removeFinalizer(ptr: Pointer, ...finalizers: string[]): Promise<Resource | undefined> {
    this.host.checkFinalizer('removeFinalizer', ptr);
    await this.host.beforeWrite(this.signal);
    try {
      return await this.host.write(
        ptr,
        () => this.state.removeFinalizer(ptrOf(ptr), ...finalizers, { signal: this.signal }),
        (x) => x,
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
      throw new Error(`controller "${this.host.name}": cleanupOutputs() needs a round opened by startTrackingOutputs() first`);
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
