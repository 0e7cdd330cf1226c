import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * Hot-path figures (reads, writes, cache sizes) are kept as plain numbers and published when the
 * registry is collected: prom-client hashes labels on every update, which costs more than the read.
 */
const flushers = new WeakMap<Registry, Set<() => void>>();

function flushAll(registry: Registry): void {
  for (const f of flushers.get(registry) ?? []) f();
}

function counter<T extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly T[],
  lazy = false,
): Counter<T> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<T>;
  return new Counter({ name, help, labelNames, registers: [registry], ...(lazy ? { collect: () => flushAll(registry) } : {}) });
}

function gauge<T extends string>(registry: Registry, name: string, help: string, labelNames: readonly T[], lazy = false): Gauge<T> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Gauge<T>;
  return new Gauge({ name, help, labelNames, registers: [registry], ...(lazy ? { collect: () => flushAll(registry) } : {}) });
}

/** The metrics of specs/controllers.md §9, registered once per Registry (never the global one). */
export class RuntimeMetrics {
  readonly wakeups: Counter<'controller'>;
  readonly reconciles: Counter<'controller' | 'result'>;
  readonly reconcileErrors: Counter<'controller'>;
  readonly reconcileTime: Histogram<'controller'>;
  readonly restarts: Counter<'controller'>;
  readonly reads: Counter<'controller' | 'cached'>;
  readonly writes: Counter<'controller'>;
  readonly activeWorkers: Gauge<'controller'>;
  readonly queueDepth: Gauge<'controller'>;
  readonly queueAdds: Counter<'controller'>;
  readonly queueRetries: Counter<'controller'>;
  readonly cachedResources: Gauge<'namespace' | 'type'>;
  readonly watchResyncs: Counter<'namespace' | 'type'>;

  constructor(readonly registry: Registry) {
    const c = ['controller'] as const;
    this.wakeups = counter(registry, 'cosi_controller_wakeups_total', 'Triggers that found no pending trigger', c);
    this.reconciles = counter(registry, 'cosi_controller_reconcile_total', 'Reconcile passes and queue jobs by result', [
      'controller',
      'result',
    ]);
    this.reconcileErrors = counter(registry, 'cosi_controller_reconcile_errors_total', 'Failed queue jobs and pipeline errors', c);
    const h = registry.getSingleMetric('cosi_controller_reconcile_time_seconds');
    this.reconcileTime =
      (h as Histogram<'controller'> | undefined) ??
      new Histogram({
        name: 'cosi_controller_reconcile_time_seconds',
        help: 'Time of one reconcile pass or queue job',
        labelNames: c,
        buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10],
        registers: [registry],
      });
    this.restarts = counter(registry, 'cosi_controller_restarts_total', 'Crashes of run() and runHook()', c);
    this.reads = counter(registry, 'cosi_controller_reads_total', 'Reads through the controller context', ['controller', 'cached'], true);
    this.writes = counter(registry, 'cosi_controller_writes_total', 'Write attempts through the controller context', c, true);
    this.activeWorkers = gauge(registry, 'cosi_controller_active_workers', 'Running queue jobs', c);
    this.queueDepth = gauge(registry, 'cosi_workqueue_depth', 'Queued keys', c);
    this.queueAdds = counter(registry, 'cosi_workqueue_adds_total', 'Keys added to the queue', c);
    this.queueRetries = counter(registry, 'cosi_workqueue_retries_total', 'Keys requeued after an error or a requeue', c);
    this.cachedResources = gauge(registry, 'cosi_runtime_cached_resources', 'Resources in the read cache', ['namespace', 'type'], true);
    this.watchResyncs = counter(registry, 'cosi_runtime_watch_resyncs_total', 'Watch resyncs and re-established watches', [
      'namespace',
      'type',
    ]);
  }

  /** Registers a function publishing pending hot-path figures; returns its removal. */
  addFlusher(f: () => void): () => void {
    let set = flushers.get(this.registry);
    if (!set) flushers.set(this.registry, (set = new Set()));
    set.add(f);
    return () => {
      f();
      set.delete(f);
    };
  }
}
