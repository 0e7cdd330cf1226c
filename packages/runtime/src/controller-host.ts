import type { Logger } from 'pino';
import type { Kind, Pointer, Resource } from '@cosi-ts/resource';
import type { State } from '@cosi-ts/state';
import { Backoff, type BackoffPolicy } from './backoff.ts';
import type { Clock } from './clock.ts';
import type { ControllerContext } from './controller-context.ts';
import { describeKind, describePtr, ptrKey, type Input } from './controller.ts';
import type { Flavour, NormalizedInput, NormalizedOutput } from './dependency-database.ts';
import { AccessError } from './errors.ts';
import { ContextImpl } from './context-impl.ts';
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
    return w ? this.peekAt(w, ptr.id) : undefined;
  }

  /** {@link peek} for an id of a cache already looked up. */
  peekAt(w: KindWatch, id: string): Resource | null | undefined {
    if (!w.bootstrapped) return undefined;
    const o = this.overlay.get(w)?.get(id);
    if (o) return o.resource;
    return w.items.get(id) ?? null;
  }

  overlayOf(w: KindWatch): Map<string, OverlayEntry> | undefined {
    return this.overlay.get(w);
  }

  /**
   * Runs one write, keeping its result visible to this controller's cached reads until the cache has
   * it; with `touch`, marks the pointer touched for output tracking (§3.7) once it succeeded.
   */
  async write<T>(ptr: Pointer, op: () => Promise<T>, result: (t: T) => Resource | null | undefined, touch = false): Promise<T> {
    const w = this.cachedWatch(ptr);
    w?.beginWrite(ptr.id);
    // undefined: failed, or nothing to record
    let r: Resource | null | undefined;
    try {
      const t = await op();
      if (w) r = result(t);
      if (touch) this.touched?.add(ptrKey(ptr));
      return t;
    } finally {
      if (w) {
        // The entry is only built when the cache has not caught up yet (rare with an in-process State).
        const keep = w.endWrite(ptr.id, r);
        if (r !== undefined) {
          const prev = this.overlay.get(w)?.get(ptr.id);
          if (prev) {
            w.removeOverlay(prev);
            this.dropEntry(w, prev);
          }
          if (keep) {
            const entry = new HostOverlayEntry(ptr.id, r, this, w);
            w.addOverlay(entry);
            let m = this.overlay.get(w);
            if (!m) this.overlay.set(w, (m = new Map()));
            m.set(ptr.id, entry);
          }
        }
      }
    }
  }

  /** Forgets an overlay entry once its cache has caught up (called by the entry). */
  dropEntry(w: KindWatch, entry: OverlayEntry): void {
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

  /**
   * Counts a write after taking its rate-limit token. Without a rate limiter nothing is awaited, so
   * it returns undefined and callers skip an await (one microtask hop less per write). Throws the
   * signal's reason when aborted; callers are async, so that is a rejection.
   */
  beforeWrite(signal: AbortSignal): Promise<void> | undefined {
    if (signal.aborted) throw signal.reason;
    const limiter = this.deps.rateLimiter;
    if (!limiter) {
      this.pendingWrites++;
      return undefined;
    }
    return limiter.take(signal).then(() => {
      this.pendingWrites++;
    });
  }
}

/** A read-your-writes entry of one controller; a class so that no closure is made per write. */
class HostOverlayEntry implements OverlayEntry {
  constructor(
    readonly id: string,
    readonly resource: Resource | null,
    private readonly host: ControllerHost,
    private readonly w: KindWatch,
  ) {}

  drop(): void {
    this.host.dropEntry(this.w, this);
  }
}
