import type { Subscription } from 'rxjs';
import type { Kind, Resource } from '@cosi-ts/resource';
import type { State, StateEvent } from '@cosi-ts/state';
import type { Logger } from 'pino';
import { Backoff, type BackoffPolicy } from './backoff.ts';
import { abortReason, type Clock } from './clock.ts';
import { describeKind } from './controller.ts';
import type { RuntimeMetrics } from './runtime-metrics.ts';

/** A resource-carrying event (what the cache applies and triggers look at). */
export type ResourceEvent = Extract<StateEvent, { resource: Resource }>;

/**
 * `bootstrap`: the cache just became readable (events empty; read `list()`); also sent to a listener
 * attached after that. `live`: events in write order. `resync`: the diff of an overrun or a
 * re-established watch.
 */
export type BatchMode = 'bootstrap' | 'live' | 'resync';

export interface KindListener {
  onKindBatch(watch: KindWatch, events: readonly ResourceEvent[], mode: BatchMode): void;
}

/** A read-your-writes entry: the result of one write (null = destroyed) until the cache catches up. */
export interface OverlayEntry {
  readonly id: string;
  readonly resource: Resource | null;
  /** Called when the cache has applied the write's own event (or something newer). */
  readonly drop: () => void;
}

interface Mark {
  readonly destroyed: boolean;
  readonly created: number;
  readonly version: number;
}

interface Inflight {
  count: number;
  marks: Mark[];
}

/** True when an applied event shows the write's result or something newer. */
function supersedes(mark: Mark, entry: OverlayEntry): boolean {
  if (entry.resource === null) return mark.destroyed;
  const c = entry.resource.metadata.created.getTime();
  return mark.created > c || (mark.created === c && mark.version >= entry.resource.metadata.version);
}

const markOf = (e: ResourceEvent): Mark => ({
  destroyed: e.type === 'destroyed',
  created: e.resource.metadata.created.getTime(),
  version: e.resource.metadata.version,
});

const sameResource = (a: Resource, b: Resource) =>
  a.metadata.version === b.metadata.version && a.metadata.created.getTime() === b.metadata.created.getTime();

export interface KindWatchDeps {
  readonly state: State;
  readonly clock: Clock;
  readonly backoff: BackoffPolicy;
  readonly logger: Logger;
  readonly metrics: RuntimeMetrics;
}

/**
 * One `watchKindAggregated(kind, { bootstrapContents: true })` shared by every controller with an
 * input on the kind, feeding the read cache before the listeners (specs/controllers.md §4, §6).
 */
export class KindWatch {
  readonly items = new Map<string, Resource>();
  readonly listeners = new Set<KindListener>();
  private sorted: readonly Resource[] | null = null;
  private ready = false;
  private readyWaiters = new Set<() => void>();
  private sub: Subscription | null = null;
  private stopped = false;
  private retryTimer: unknown = null;
  private readonly backoff: Backoff;
  private readonly inflight = new Map<string, Inflight>();
  private readonly overlays = new Map<string, Set<OverlayEntry>>();
  private readonly log: Logger;
  private readonly disposeGauge: () => void;

  constructor(
    readonly kind: Kind,
    private readonly deps: KindWatchDeps,
  ) {
    this.backoff = new Backoff(deps.backoff);
    this.log = deps.logger.child({ watch: describeKind(kind) });
    const gauge = deps.metrics.cachedResources.labels({ namespace: kind.namespace, type: kind.type });
    this.disposeGauge = deps.metrics.addFlusher(() => gauge.set(this.items.size));
  }

  get bootstrapped(): boolean {
    return this.ready;
  }

  start(): void {
    this.subscribe();
  }

  stop(): void {
    this.stopped = true;
    this.sub?.unsubscribe();
    this.sub = null;
    if (this.retryTimer !== null) this.deps.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    for (const set of this.overlays.values()) for (const e of set) e.drop();
    this.overlays.clear();
    for (const w of this.readyWaiters) w();
    this.readyWaiters.clear();
    this.disposeGauge();
    this.deps.metrics.cachedResources.remove({ namespace: this.kind.namespace, type: this.kind.type });
  }

  attach(listener: KindListener): void {
    this.listeners.add(listener);
    if (this.ready) listener.onKindBatch(this, [], 'bootstrap');
  }

  detach(listener: KindListener): void {
    this.listeners.delete(listener);
  }

  /** Waits for the first bootstrap (rejects with the signal's reason, or when the watch is closed). */
  whenBootstrapped(signal: AbortSignal): Promise<void> {
    if (this.ready) return Promise.resolve();
    if (signal.aborted) return Promise.reject(abortReason(signal));
    if (this.stopped) return Promise.reject(new Error(`watch of ${describeKind(this.kind)} is closed`));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.readyWaiters.delete(done);
        reject(abortReason(signal));
      };
      const done = () => {
        signal.removeEventListener('abort', onAbort);
        if (this.ready) resolve();
        else reject(new Error(`watch of ${describeKind(this.kind)} is closed`));
      };
      this.readyWaiters.add(done);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The cached resources sorted by id; frozen resources, shared without copying. */
  list(): readonly Resource[] {
    if (this.sorted === null) {
      this.sorted = [...this.items.values()].sort((a, b) => (a.metadata.id < b.metadata.id ? -1 : a.metadata.id > b.metadata.id ? 1 : 0));
    }
    return this.sorted;
  }

  // --- read-your-writes bookkeeping (§6.3) ---

  /** Marks a write on `id` as in flight: events applied meanwhile are remembered. */
  beginWrite(id: string): void {
    const f = this.inflight.get(id);
    if (f) f.count++;
    else this.inflight.set(id, { count: 1, marks: [] });
  }

  /**
   * Ends a write. With a result (`undefined` = no result to record), adds `entry` unless the cache
   * has already applied the write's event or something newer. Returns whether it was added.
   */
  endWrite(id: string, entry: OverlayEntry | undefined): boolean {
    const f = this.inflight.get(id);
    const marks = f?.marks ?? [];
    if (f && --f.count === 0) this.inflight.delete(id);
    if (!entry || this.stopped) return false;
    if (marks.some((m) => supersedes(m, entry))) return false;
    const cur = this.items.get(id);
    if (cur && entry.resource !== null && supersedes(markOf({ type: 'updated', resource: cur, old: cur }), entry)) return false;
    let set = this.overlays.get(id);
    if (!set) this.overlays.set(id, (set = new Set()));
    set.add(entry);
    return true;
  }

  removeOverlay(entry: OverlayEntry): void {
    const set = this.overlays.get(entry.id);
    if (set?.delete(entry) && set.size === 0) this.overlays.delete(entry.id);
  }

  // --- the watch ---

  private subscribe(): void {
    if (this.stopped) return;
    let booting = true;
    let boot: ResourceEvent[] = [];
    let failed = false;
    this.sub = this.deps.state.watchKindAggregated(this.kind, { bootstrapContents: true }).subscribe({
      next: (batch) => {
        if (this.stopped || failed) return;
        const events: ResourceEvent[] = [];
        let sawBootstrapped = false;
        for (const e of batch) {
          if (e.type === 'errored') {
            failed = true;
            this.log.warn({ err: e.error }, 'watch errored; re-establishing it');
            break;
          }
          if (e.type === 'bootstrapped') sawBootstrapped = true;
          else if (e.type !== 'noop') events.push(e);
        }
        if (booting) {
          boot.push(...events);
          if (sawBootstrapped) {
            booting = false;
            const snapshot = boot;
            boot = [];
            if (this.ready) this.applyResync(this.diff(snapshot));
            else this.applyBootstrap(snapshot);
          }
        } else if (sawBootstrapped) {
          this.applyResync(events);
        } else if (events.length > 0) {
          this.applyLive(events);
        }
        if (failed) this.scheduleResubscribe();
      },
      error: (err: unknown) => {
        // The contract says watches never error(); a backend that does is treated like `errored`.
        this.log.warn({ err }, 'watch failed; re-establishing it');
        failed = true;
        this.scheduleResubscribe();
      },
      complete: () => {
        if (!failed && !this.stopped) {
          failed = true;
          this.log.warn('watch completed unexpectedly; re-establishing it');
          this.scheduleResubscribe();
        }
      },
    });
  }

  private scheduleResubscribe(): void {
    if (this.stopped || this.retryTimer !== null) return;
    this.sub?.unsubscribe();
    this.sub = null;
    this.retryTimer = this.deps.clock.setTimeout(() => {
      this.retryTimer = null;
      this.subscribe();
    }, this.backoff.next());
  }

  /** The events turning the cache into `snapshot` (a re-bootstrap after a lost watch, §4.4). */
  private diff(snapshot: readonly ResourceEvent[]): ResourceEvent[] {
    const next = new Map(snapshot.map((e) => [e.resource.metadata.id, e.resource] as const));
    const ids = new Set([...this.items.keys(), ...next.keys()]);
    const out: ResourceEvent[] = [];
    for (const id of [...ids].sort()) {
      const old = this.items.get(id);
      const cur = next.get(id);
      if (old && !cur) out.push({ type: 'destroyed', resource: old });
      else if (!old && cur) out.push({ type: 'created', resource: cur });
      else if (old && cur && !sameResource(old, cur)) {
        if (old.metadata.created.getTime() !== cur.metadata.created.getTime()) {
          out.push({ type: 'destroyed', resource: old }, { type: 'created', resource: cur });
        } else out.push({ type: 'updated', resource: cur, old });
      }
    }
    return out;
  }

  private apply(events: readonly ResourceEvent[]): void {
    for (const e of events) {
      const id = e.resource.metadata.id;
      if (e.type === 'destroyed') this.items.delete(id);
      else this.items.set(id, e.resource);
      const f = this.inflight.get(id);
      const mark = f || this.overlays.has(id) ? markOf(e) : null;
      if (f && mark) f.marks.push(mark);
      const set = this.overlays.get(id);
      if (set && mark) {
        for (const entry of set) {
          if (supersedes(mark, entry)) {
            set.delete(entry);
            entry.drop();
          }
        }
        if (set.size === 0) this.overlays.delete(id);
      }
    }
    if (events.length > 0) this.sorted = null;
  }

  private applyBootstrap(events: readonly ResourceEvent[]): void {
    this.apply(events);
    this.ready = true;
    this.backoff.reset();
    for (const w of this.readyWaiters) w();
    this.readyWaiters.clear();
    this.notify([], 'bootstrap');
  }

  private applyResync(events: readonly ResourceEvent[]): void {
    this.deps.metrics.watchResyncs.inc({ namespace: this.kind.namespace, type: this.kind.type });
    this.backoff.reset();
    this.apply(events);
    this.notify(events, 'resync');
  }

  private applyLive(events: readonly ResourceEvent[]): void {
    this.apply(events);
    this.notify(events, 'live');
  }

  private notify(events: readonly ResourceEvent[], mode: BatchMode): void {
    for (const l of this.listeners) {
      try {
        l.onKindBatch(this, events, mode);
      } catch (err) {
        this.log.error({ err }, 'listener failed on a watch batch');
      }
    }
  }
}
