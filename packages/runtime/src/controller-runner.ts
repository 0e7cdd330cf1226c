import type { Controller } from './controller.ts';
import { sleep, type Clock } from './clock.ts';
import type { ControllerHost } from './controller-host.ts';
import { toError } from './errors.ts';
import type { BatchMode, KindListener, KindWatch, ResourceEvent } from './kind-watch.ts';
import type { RuntimeMetrics } from './runtime-metrics.ts';
import { Trigger } from './trigger.ts';
import { inputMatches } from './input-match.ts';

/** Runs one Controller: triggers from its inputs, restarts after crashes (specs/controllers.md §4, §5). */
export class ControllerRunner implements KindListener {
  readonly trigger: Trigger;
  done: Promise<void> = Promise.resolve();
  running = false;

  constructor(
    readonly controller: Controller,
    readonly host: ControllerHost,
    private readonly metrics: RuntimeMetrics,
    private readonly clock: Clock,
  ) {
    const labels = { controller: host.name };
    this.trigger = new Trigger(host.name, {
      wakeup: () => metrics.wakeups.inc(labels),
      pass: (s, ok) => {
        metrics.reconcileTime.observe(labels, s);
        metrics.reconciles.inc({ ...labels, result: ok ? 'success' : 'error' });
      },
    });
    host.eventsImpl = () => this.trigger.events();
    host.onQueueReconcile = () => this.trigger.set();
  }

  get name(): string {
    return this.host.name;
  }

  onKindBatch(watch: KindWatch, events: readonly ResourceEvent[], mode: BatchMode): void {
    // A set trigger absorbs further ones (§3.2): skip matching (a transform never takes its trigger).
    if (mode === 'bootstrap' || this.trigger.isPending) return;
    if (mode === 'resync') {
      this.trigger.set(); // one trigger per resync batch, whatever it holds
      return;
    }
    const { namespace, type } = watch.kind;
    for (const inp of this.host.inputs) {
      if (inp.namespace !== namespace || inp.type !== type) continue;
      if (events.some((e) => inputMatches(inp, e))) {
        this.trigger.set();
        return;
      }
    }
  }

  start(): void {
    this.running = true;
    this.trigger.set();
    this.done = this.loop().finally(() => {
      this.running = false;
    });
  }

  stop(): void {
    this.trigger.close();
  }

  private async loop(): Promise<void> {
    const { host } = this;
    const signal = host.shutdown.signal;
    const ctx = host.context(); // one context for the controller's whole life, restarts included
    for (;;) {
      try {
        await new Promise<void>((resolve, reject) => {
          // A synchronous throw becomes a rejection, so both are one kind of crash.
          Promise.resolve()
            .then(() => this.controller.run(ctx))
            .then(() => resolve(), reject);
        });
        this.trigger.finished();
        if (!signal.aborted) host.logger.warn('controller run() returned: it will not be restarted');
        return;
      } catch (e) {
        if (signal.aborted) {
          this.trigger.finished();
          return;
        }
        const err = toError(e);
        this.trigger.crashed();
        this.metrics.restarts.inc({ controller: host.name });
        const wait = host.restartBackoff.next();
        host.logger.error({ err, restartInMs: Math.round(wait) }, 'controller crashed; restarting');
        if (!(await sleep(this.clock, wait, signal))) return;
        this.trigger.set();
      }
    }
  }
}
