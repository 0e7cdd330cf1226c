import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import { checkOptions, type Kind } from '@cosi-ts/resource';
import type { State } from '@cosi-ts/state';
import type { BackoffPolicy } from './backoff.ts';
import { systemClock, type Clock } from './clock.ts';
import { kindKey, type AnyController, type Controller, type Input, type QController } from './controller.ts';
import { ControllerHost, type HostDeps } from './controller-host.ts';
import { ControllerRunner } from './controller-runner.ts';
import { DependencyDatabase, type NormalizedInput } from './dependency-database.ts';
import { DependencyError, MisuseError, ShutdownTimeoutError } from './errors.ts';
import { buildGraph, type Graph } from './graph.ts';
import { KindWatch, type KindListener } from './kind-watch.ts';
import { QRunner } from './q-runner.ts';
import { RateLimiter, type ChangeRateLimit } from './rate-limiter.ts';
import { RuntimeMetrics } from './runtime-metrics.ts';
import { BACKOFF_OPTIONS, RATE_LIMIT_OPTIONS, RUNTIME_OPTIONS } from './option-names.ts';

export interface RuntimeOptions {
  /** Parent logger; each controller gets a child `{ controller }`. Default: silent. */
  readonly logger?: Logger;
  /** Where the §9 metrics are registered; default a private Registry exposed as `rt.metrics`. */
  readonly metrics?: Registry;
  /** Token bucket for all writes through controller contexts; default unlimited. */
  readonly changeRateLimit?: ChangeRateLimit;
  /** Crash restart, per-key and watch re-establishment backoff; default 500 ms × 1.5, ±50 %, cap 60 s. */
  readonly backoff?: BackoffPolicy;
  /** How long shutdown waits for controllers; default 30 000 ms. */
  readonly shutdownTimeoutMs?: number;
  readonly clock?: Clock;
}

interface Runner extends KindListener {
  readonly name: string;
  readonly host: ControllerHost;
  readonly done: Promise<void>;
  readonly running: boolean;
  start(): void;
  stop(): void;
}

type Phase = 'idle' | 'running' | 'stopping' | 'stopped';

const kindsOf = (inputs: readonly NormalizedInput[]): Map<string, Kind> =>
  new Map(inputs.map((i) => [kindKey(i), { namespace: i.namespace, type: i.type }] as const));

/**
 * Runs controllers over a State (specs/controllers.md): dependency rules, one shared watch and read
 * cache per input kind, coalesced triggers, crash restarts, metrics, graceful shutdown.
 */
export class Runtime {
  /** The Registry holding the runtime's metrics (the one given in options, or a private one). */
  readonly metrics: Registry;
  private readonly m: RuntimeMetrics;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly db = new DependencyDatabase();
  private readonly runners = new Map<string, Runner>();
  /** namespace → type → watch (nested: no key string built on every read). */
  private readonly watches = new Map<string, Map<string, KindWatch>>();
  private readonly deps: HostDeps;
  private phase: Phase = 'idle';

  constructor(
    private readonly state: State,
    private readonly options: RuntimeOptions = {},
  ) {
    checkOptions('Runtime', options, RUNTIME_OPTIONS);
    checkOptions('Runtime backoff', options.backoff, BACKOFF_OPTIONS);
    checkOptions('Runtime changeRateLimit', options.changeRateLimit, RATE_LIMIT_OPTIONS);
    this.metrics = options.metrics ?? new Registry();
    this.m = new RuntimeMetrics(this.metrics);
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.clock = options.clock ?? systemClock;
    this.deps = {
      state,
      clock: this.clock,
      logger: this.logger,
      metrics: this.m,
      rateLimiter: options.changeRateLimit ? new RateLimiter(options.changeRateLimit, this.clock) : null,
      backoff: options.backoff ?? {},
      cacheFor: (k) => this.watches.get(k.namespace)?.get(k.type),
      updateInputs: (host, inputs) => this.updateInputs(host, inputs),
    };
  }

  /** Adds a Controller, QController or transform; before or during `run`. Throws DependencyError on a rule violation. */
  register(controller: AnyController): void {
    if (this.phase === 'stopping' || this.phase === 'stopped') {
      throw new MisuseError(`cannot register controller "${String(controller?.name)}": the runtime is shutting down`);
    }
    if (typeof controller !== 'object' || controller === null) {
      throw new DependencyError(String(controller), 'register() takes a Controller, a QController or a transform(...)');
    }
    const isQ = typeof (controller as Partial<QController>).reconcile === 'function';
    const isC = typeof (controller as Partial<Controller>).run === 'function';
    const name = (controller as { name?: unknown }).name;
    if (!isQ && !isC) {
      throw new DependencyError(
        String(name),
        `controller "${String(name)}" has neither run(ctx) (a Controller) nor reconcile(ctx, ptr) (a QController); implement one`,
      );
    }
    const flavour = isQ ? 'q' : 'controller';
    const checked = this.db.checkRegister(name, flavour, controller.inputs, controller.outputs);
    if (isQ) {
      const c = (controller as QController).concurrency;
      if (c !== undefined && !(Number.isInteger(c) && c >= 1)) {
        throw new DependencyError(checked.name, `QController "${checked.name}": concurrency must be an integer ≥ 1, got ${String(c)}`);
      }
    }
    this.db.add(checked.name, flavour, checked.inputs, checked.outputs);
    const host = new ControllerHost(checked.name, flavour, checked.inputs, checked.outputs, this.deps);
    const runner: Runner = isQ
      ? new QRunner(controller as QController, host, this.m, this.clock, this.deps.backoff)
      : new ControllerRunner(controller as Controller, host, this.m, this.clock);
    this.runners.set(checked.name, runner);
    if (this.phase === 'running') this.startRunner(runner);
  }

  /** Runs until `signal` aborts, then shuts down gracefully. Once per Runtime. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.phase !== 'idle') throw new MisuseError('Runtime.run() may be called only once per Runtime');
    this.phase = 'running';
    for (const r of this.runners.values()) this.startRunner(r);
    if (!signal.aborted) {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    }
    await this.shutdown();
  }

  /** The dependency graph (§11), current dynamic inputs included. */
  graph(): Graph {
    return buildGraph([...this.runners.values()].map((r) => ({ name: r.name, inputs: r.host.inputs, outputs: r.host.outputs })));
  }

  private startRunner(r: Runner): void {
    for (const k of kindsOf(r.host.inputs).values()) this.acquire(k, r);
    r.start();
  }

  private acquire(kind: Kind, r: Runner): void {
    let byType = this.watches.get(kind.namespace);
    if (!byType) this.watches.set(kind.namespace, (byType = new Map()));
    let w = byType.get(kind.type);
    if (!w) {
      w = new KindWatch(kind, {
        state: this.state,
        clock: this.clock,
        backoff: this.deps.backoff,
        logger: this.logger,
        metrics: this.m,
      });
      byType.set(kind.type, w);
      w.start();
    }
    w.attach(r);
  }

  private release(kind: Kind, r: Runner): void {
    const byType = this.watches.get(kind.namespace);
    const w = byType?.get(kind.type);
    if (!byType || !w) return;
    w.detach(r);
    if (w.listeners.size === 0) {
      byType.delete(kind.type);
      if (byType.size === 0) this.watches.delete(kind.namespace);
      w.stop();
    }
  }

  private async updateInputs(host: ControllerHost, inputs: readonly Input[]): Promise<void> {
    if (host.shutdown.signal.aborted) throw host.shutdown.signal.reason;
    const next = this.db.checkInputs(host.name, inputs);
    const r = this.runners.get(host.name);
    if (!r) return;
    const key = (i: NormalizedInput) => `${kindKey(i)}\u0000${i.id ?? '*'}\u0000${i.kind}`;
    const before = new Set(host.inputs.map(key));
    const added = next.some((i) => !before.has(key(i)));
    const oldKinds = kindsOf(host.inputs);
    const newKinds = kindsOf(next);
    this.db.setInputs(host.name, next);
    host.inputs = next;
    if (this.phase === 'running') {
      for (const [k, kind] of newKinds) if (!oldKinds.has(k)) this.acquire(kind, r);
      for (const [k, kind] of oldKinds) if (!newKinds.has(k)) this.release(kind, r);
    }
    if (added) host.onQueueReconcile();
  }

  private async shutdown(): Promise<void> {
    this.phase = 'stopping';
    const runners = [...this.runners.values()];
    for (const r of runners) {
      r.host.shutdown.abort(new Error('runtime shutting down'));
      r.stop();
    }
    const timeoutMs = this.options.shutdownTimeoutMs ?? 30_000;
    let timer: unknown = null;
    const timedOut = await Promise.race([
      Promise.allSettled(runners.map((r) => r.done)).then(() => false),
      new Promise<boolean>((resolve) => {
        timer = this.clock.setTimeout(() => resolve(true), timeoutMs);
      }),
    ]);
    this.clock.clearTimeout(timer);
    for (const byType of this.watches.values()) for (const w of byType.values()) w.stop();
    this.watches.clear();
    for (const r of runners) r.host.disposeMetrics();
    this.phase = 'stopped';
    if (timedOut) {
      const stuck = runners.filter((r) => r.running).map((r) => r.name);
      this.logger.error({ controllers: stuck }, 'shutdown timed out');
      throw new ShutdownTimeoutError(stuck, timeoutMs);
    }
  }
}
