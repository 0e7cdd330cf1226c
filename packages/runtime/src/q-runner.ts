import type { Pointer } from '@cosi-ts/resource';
import { Backoff, type BackoffPolicy } from './backoff.ts';
import { sleep, type Clock } from './clock.ts';
import { describePtr, ptrKey, type QController, type ReducedMetadata } from './controller.ts';
import type { ControllerHost } from './controller-host.ts';
import type { NormalizedInput } from './dependency-database.ts';
import { RequeueError, TerminalError, toError } from './errors.ts';
import { inputMatches } from './input-match.ts';
import type { BatchMode, KindListener, KindWatch, ResourceEvent } from './kind-watch.ts';
import type { RuntimeMetrics } from './runtime-metrics.ts';
import { WorkQueue } from './work-queue.ts';

type Job = { readonly job: 'reconcile'; readonly ptr: Pointer } | { readonly job: 'map'; readonly md: ReducedMetadata };

const reduced = (r: ResourceEvent['resource']): ReducedMetadata => ({
  namespace: r.metadata.namespace,
  type: r.metadata.type,
  id: r.metadata.id,
  phase: r.metadata.phase,
  labels: r.metadata.labels,
  finalizersEmpty: r.metadata.finalizers.length === 0,
});

const HOOK_HEALTHY_MS = 60_000;

/** Runs one QController: a deduplicated per-key queue fed by its inputs (specs/controllers.md §8). */
export class QRunner implements KindListener {
  done: Promise<void> = Promise.resolve();
  running = false;
  private readonly queue: WorkQueue<Job>;
  private readonly jobs = new Map<string, { abort: AbortController; promise: Promise<void> }>();
  private readonly keyBackoff = new Map<string, Backoff>();
  private readonly labels: { controller: string };
  private hook: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(
    readonly controller: QController,
    readonly host: ControllerHost,
    private readonly metrics: RuntimeMetrics,
    private readonly clock: Clock,
    private readonly backoffPolicy: BackoffPolicy,
  ) {
    this.labels = { controller: host.name };
    this.queue = new WorkQueue<Job>(controller.concurrency ?? 1, clock, (key, job) => this.exec(key, job), {
      added: () => metrics.queueAdds.inc(this.labels),
      depth: (n) => metrics.queueDepth.set(this.labels, n),
    });
    host.onQueueReconcile = () => this.queueAllPrimaries();
  }

  get name(): string {
    return this.host.name;
  }

  onKindBatch(watch: KindWatch, events: readonly ResourceEvent[], mode: BatchMode): void {
    if (this.stopping) return;
    const { namespace, type } = watch.kind;
    const inputs = this.host.inputs.filter((i) => i.namespace === namespace && i.type === type);
    if (mode === 'bootstrap') {
      for (const i of inputs) if (i.kind === 'primary') this.queuePrimaries(watch, i);
      return;
    }
    for (const e of events) {
      for (const i of inputs) {
        if (!inputMatches(i, e)) continue;
        if (i.kind === 'primary') this.putReconcile(e.resource.metadata);
        else this.queue.put(`map\u0000${ptrKey(e.resource.metadata)}`, { job: 'map', md: reduced(e.resource) });
      }
    }
  }

  start(): void {
    this.running = true;
    const hook = this.controller.runHook;
    if (hook) this.hook = this.hookLoop(hook.bind(this.controller));
    this.done = new Promise<void>((resolve) => {
      this.host.shutdown.signal.addEventListener('abort', () => resolve(), { once: true });
    }).then(() => this.drain());
  }

  stop(): void {
    this.stopping = true;
    this.queue.close();
    for (const j of this.jobs.values()) j.abort.abort(new Error('runtime shutting down'));
  }

  private async drain(): Promise<void> {
    try {
      await Promise.allSettled([...[...this.jobs.values()].map((j) => j.promise), this.hook]);
      if (this.controller.shutdownHook) {
        try {
          await this.controller.shutdownHook();
        } catch (err) {
          this.host.logger.error({ err }, 'shutdownHook failed');
        }
      }
    } finally {
      this.running = false;
    }
  }

  private putReconcile(ptr: Pointer, delayMs = 0): void {
    const p = { namespace: ptr.namespace, type: ptr.type, id: ptr.id };
    this.queue.put(`reconcile\u0000${ptrKey(p)}`, { job: 'reconcile', ptr: p }, delayMs);
  }

  private queuePrimaries(watch: KindWatch, i: NormalizedInput): void {
    for (const r of watch.list()) if (i.id === undefined || i.id === r.metadata.id) this.putReconcile(r.metadata);
  }

  private queueAllPrimaries(): void {
    for (const i of this.host.inputs) {
      if (i.kind !== 'primary') continue;
      const w = this.host.cachedWatch(i);
      if (w?.bootstrapped) this.queuePrimaries(w, i);
    }
  }

  private isPrimary(p: Pointer): boolean {
    return this.host.inputs.some(
      (i) => i.kind === 'primary' && i.namespace === p.namespace && i.type === p.type && (i.id === undefined || i.id === p.id),
    );
  }

  private async hookLoop(hook: NonNullable<QController['runHook']>): Promise<void> {
    const signal = this.host.shutdown.signal;
    const backoff = new Backoff(this.backoffPolicy);
    for (;;) {
      const started = this.clock.now();
      try {
        await Promise.resolve().then(() => hook(this.host.context()));
        return;
      } catch (e) {
        if (signal.aborted) return;
        if (this.clock.now() - started > HOOK_HEALTHY_MS) backoff.reset();
        this.metrics.restarts.inc(this.labels);
        const wait = backoff.next();
        this.host.logger.error({ err: toError(e), restartInMs: Math.round(wait) }, 'runHook failed; restarting');
        if (!(await sleep(this.clock, wait, signal))) return;
      }
    }
  }

  private exec(key: string, job: Job): void {
    const abort = new AbortController();
    const promise = this.runJob(key, job, abort.signal).finally(() => {
      this.jobs.delete(key);
      this.metrics.activeWorkers.set(this.labels, this.jobs.size);
      this.queue.done(key);
    });
    this.jobs.set(key, { abort, promise });
    this.metrics.activeWorkers.set(this.labels, this.jobs.size);
  }

  private async runJob(key: string, job: Job, signal: AbortSignal): Promise<void> {
    const ctx = this.host.context(signal);
    const started = performance.now();
    let result: 'success' | 'requeue' | 'terminal' | 'error' = 'success';
    try {
      if (job.job === 'reconcile') {
        const r = await Promise.resolve().then(() => this.controller.reconcile(ctx, job.ptr));
        if (r && typeof r === 'object' && 'requeueAfter' in r) checkDelay(r.requeueAfter, 'reconcile resolved { requeueAfter }');
        this.keyBackoff.delete(key);
        if (r && typeof r === 'object' && 'requeueAfter' in r) {
          result = 'requeue';
          this.retry(key, job, r.requeueAfter);
        }
      } else {
        const md = job.md;
        const ptrs = this.controller.mapInput
          ? await Promise.resolve().then(() => this.controller.mapInput!(ctx, md))
          : this.defaultMap(md);
        for (const p of ptrs) {
          if (!this.isPrimary(p)) {
            throw new TypeError(
              `QController "${this.host.name}": mapInput returned ${describePtr(p)}, which no primary input covers; map to primary resources only`,
            );
          }
        }
        for (const p of ptrs) this.putReconcile(p);
        this.keyBackoff.delete(key);
      }
    } catch (e) {
      if (this.stopping) return;
      const err = toError(e);
      this.metrics.reconcileErrors.inc(this.labels);
      if (e instanceof RequeueError && validDelay(e.requeueAfterMs)) {
        result = 'requeue';
        this.host.logger.warn({ err, key: describeJob(job) }, 'reconcile requeued');
        this.retry(key, job, e.requeueAfterMs);
      } else if (e instanceof TerminalError) {
        result = 'terminal';
        this.host.logger.error({ err, key: describeJob(job) }, 'reconcile failed terminally');
      } else {
        result = 'error';
        let b = this.keyBackoff.get(key);
        if (!b) this.keyBackoff.set(key, (b = new Backoff(this.backoffPolicy)));
        const wait = b.next();
        this.host.logger.error({ err, key: describeJob(job), retryInMs: Math.round(wait) }, 'reconcile failed');
        this.retry(key, job, wait);
      }
    } finally {
      if (!this.stopping) {
        this.metrics.reconciles.inc({ ...this.labels, result });
        this.metrics.reconcileTime.observe(this.labels, (performance.now() - started) / 1000);
      }
    }
  }

  private retry(key: string, job: Job, delayMs: number): void {
    this.metrics.queueRetries.inc(this.labels);
    this.queue.put(key, job, delayMs);
  }

  /** Without mapInput a mapped resource maps to the same id in each kind-wide primary input. */
  private defaultMap(md: ReducedMetadata): Pointer[] {
    return this.host.inputs
      .filter((i) => i.kind === 'primary' && (i.id === undefined || i.id === md.id))
      .map((i) => ({ namespace: i.namespace, type: i.type, id: md.id }));
  }
}

const validDelay = (ms: unknown): ms is number => typeof ms === 'number' && Number.isFinite(ms) && ms >= 0;

/** A NaN or negative delay would corrupt the queue's order: it is a bug of the reconcile. */
function checkDelay(ms: unknown, what: string): void {
  if (!validDelay(ms)) throw new TypeError(`${what} with ${String(ms)}; use a finite number of milliseconds ≥ 0`);
}

const describeJob = (job: Job): string => (job.job === 'reconcile' ? describePtr(job.ptr) : `map ${describePtr(job.md)}`);
