import { Registry } from 'prom-client';
import { delay as delayOp, type Observable } from 'rxjs';
import type { State } from '@cosi-ts/state';
import { Runtime, type RuntimeOptions } from '../runtime.ts';

/** How a backend plugs into {@link runtimeConformance}. */
export interface RuntimeConformanceSetup {
  /** A State for one case; `history` asks for a small history window (case 20) where the backend has one. */
  open(history?: { historyCapacity: number; historyGap: number }): State | Promise<State>;
  close?(state: State): void | Promise<void>;
  /** Extra runtime options for every case (e.g. `changeRateLimit`). */
  readonly runtimeOptions?: Omit<RuntimeOptions, 'metrics'>;
}

/** Namespaces unique to one case, so backends may share a store between cases. */
export interface CaseNamespaces {
  readonly ints: string;
  readonly strs: string;
  readonly sentences: string;
  ns(name: string): string;
}

export function caseNamespaces(): CaseNamespaces {
  const tag = Math.random().toString(36).slice(2, 8);
  const ns = (name: string) => `${name}-${tag}`;
  return { ints: ns('ints'), strs: ns('strs'), sentences: ns('sentences'), ns };
}

export interface Harness {
  readonly state: State;
  readonly rt: Runtime;
  readonly metrics: Registry;
  readonly n: CaseNamespaces;
  /** Starts `rt.run`; its promise is kept for `stop`. */
  start(): void;
  /** Aborts the run and returns its outcome (rejects like `run`). */
  stop(): Promise<void>;
}

export async function withHarness(
  setup: RuntimeConformanceSetup,
  body: (h: Harness) => Promise<void>,
  opts: { runtime?: Omit<RuntimeOptions, 'metrics'>; history?: { historyCapacity: number; historyGap: number }; wrap?: (s: State) => State } = {},
): Promise<void> {
  const raw = await setup.open(opts.history);
  const state = opts.wrap ? opts.wrap(raw) : raw;
  const metrics = new Registry();
  const rt = new Runtime(state, { ...setup.runtimeOptions, ...opts.runtime, metrics });
  const ac = new AbortController();
  let running: Promise<void> | null = null;
  const h: Harness = {
    state,
    rt,
    metrics,
    n: caseNamespaces(),
    start() {
      running = rt.run(ac.signal);
      running.catch(() => {}); // observed by stop()
    },
    async stop() {
      ac.abort();
      if (running) await running;
      running = null;
    },
  };
  try {
    await body(h);
  } finally {
    ac.abort();
    if (running) await (running as Promise<void>).catch(() => {});
    await setup.close?.(raw);
  }
}

/** The value of a metric sample with exactly these labels (0 when absent). */
export async function metricValue(reg: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const m = reg.getSingleMetric(name);
  if (!m) return 0;
  const data = await m.get();
  let sum = 0;
  for (const v of data.values) {
    const l = v.labels as Record<string, string | number>;
    if (Object.entries(labels).every(([k, x]) => String(l[k]) === x) && !('le' in l)) {
      if ((v as { metricName?: string }).metricName === undefined || (v as { metricName?: string }).metricName === name) sum += v.value;
    }
  }
  return sum;
}

/** A State whose watches deliver `ms` later than the store emits them (read-your-writes case). */
export function delayedWatches(state: State, ms: number): State {
  return new Proxy(state, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      const f = v as (...args: unknown[]) => unknown;
      if (prop === 'watch' || prop === 'watchKind' || prop === 'watchKindAggregated') {
        return (...args: unknown[]) => (f.apply(target, args) as Observable<unknown>).pipe(delayOp(ms));
      }
      return f.bind(target);
    },
  });
}

/** Resolves after `ms`, or rejects when `signal` aborts. */
export function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
