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
  drop(): void;
}

/**
 * The writes in flight on one id and what the cache applied for it meanwhile. Supersession only
 * compares against the newest (created, version) seen and whether a destroy was seen, so those
 * are kept instead of a list of every applied event.
 */
interface Inflight {
  count: number;
  /** An event was applied while a write was in flight. */
  seen: boolean;
  destroyed: boolean;
  created: number;
  version: number;
}

/** True when an applied event of (`destroyed`, `created`, `version`) shows the write's result or something newer. */
function supersedes(destroyed: boolean, created: number, version: number, resource: Resource | null): boolean {
  if (resource === null) return destroyed;
  const c = resource.metadata.created.getTime();
  return created > c || (created === c && version >= resource.metadata.version);
}

function onlyResourceEvents(batch: readonly StateEvent[]): boolean {
  for (let i = 0; i < batch.length; i++) {
    const t = batch[i]!.type;
    if (t !== 'created' && t !== 'updated' && t !== 'destroyed') return false;
  }
  return true;
}

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
    else this.inflight.set(id, { count: 1, seen: false, destroyed: false, created: 0, version: 0 });
  }

  /**
   * Ends a write. With a result (`undefined` = no result to record), tells whether it needs an
   * overlay entry: false when the cache has already applied the write's event or something newer.
   * The caller then adds the entry with {@link addOverlay}.
   */
  endWrite(id: string, resource: Resource | null | undefined): boolean {
    const f = this.inflight.get(id);
    if (f && --f.count === 0) this.inflight.delete(id);
    if (resource === undefined || this.stopped) return false;
    if (f?.seen && supersedes(f.destroyed, f.created, f.version, resource)) return false;
    const cur = this.items.get(id);
    if (cur && resource !== null && supersedes(false, cur.metadata.created.getTime(), cur.metadata.version, resource)) return false;
    return true;
  }

  /** Keeps a write result visible until the cache applies its event (after {@link endWrite} said so). */
  addOverlay(entry: OverlayEntry): void {
    let set = this.overlays.get(entry.id);
    if (!set) this.overlays.set(entry.id, (set = new Set()));
    set.add(entry);
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
        // A live batch of resource events only (the usual case) is used as it is: batches are frozen.
        let events = batch as readonly ResourceEvent[];
        let sawBootstrapped = false;
        if (!onlyResourceEvents(batch)) {
          const kept: ResourceEvent[] = [];
          for (const e of batch) {
            if (e.type === 'errored') {
              failed = true;
              this.log.warn({ err: e.error }, 'watch errored; re-establishing it');
              break;
            }
            if (e.type === 'bootstrapped') sawBootstrapped = true;
            else if (e.type !== 'noop') kept.push(e);
          }
          events = kept;
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
      const set = this.overlays.get(id);
      if (f === undefined && set === undefined) continue;
      const destroyed = e.type === 'destroyed';
      const created = e.resource.metadata.created.getTime();
      const version = e.resource.metadata.version;
      if (f) {
        if (!f.seen || created > f.created || (created === f.created && version > f.version)) {
          f.created = created;
          f.version = version;
        }
        f.seen = true;
        f.destroyed ||= destroyed;
      }
      if (set) {
        for (const entry of set) {
          if (supersedes(destroyed, created, version, entry.resource)) {
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
