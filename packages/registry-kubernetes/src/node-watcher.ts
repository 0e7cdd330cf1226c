import type { Logger } from 'pino';
import { CoreV1Api, ListWatch, Watch, type KubeConfig, type V1Node, type V1NodeList } from '@kubernetes/client-node';
import { Backoff, type BackoffPolicy } from '@cosi-ts/runtime';
import { httpStatusOf } from './errors.ts';
import { loadKubeConfig } from './kubeconfig.ts';
import { FORBIDDEN_WARNING } from './messages.ts';
import { RateLimitedWarning } from './rate-limited-warning.ts';
import { requestOptions } from './request-options.ts';
import { boundedRequest } from './with-timeout.ts';

export interface NodeWatcherOptions {
  /** kubeconfig path; `undefined`: the client library's default resolution. */
  readonly kubeconfig: string | undefined;
  readonly logger: Logger;
  /** Called after every change of the cached Nodes (and once the first list is in). */
  readonly onChange: () => void;
  /** Reconnect backoff; default 1 s doubling up to 5 min (spec §3.5). */
  readonly backoff?: BackoffPolicy;
  /** Minimum gap between two 403 warnings; default 10 min. */
  readonly forbiddenWarningIntervalMs?: number;
  /** How often a kubeconfig that cannot be loaded is tried again; default 1 s. */
  readonly kubeconfigPollMs?: number;
  /** Limit of one list request; default 30 s. */
  readonly listTimeoutMs?: number;
}

const NODES_PATH = '/api/v1/nodes';

/**
 * A Node informer that never gives up. client-node 1.4.0's ListWatch lists, watches from the list's
 * resourceVersion, rewatches when a stream ends and relists on 410 Gone, but stops for good on any
 * other error: this restarts it with backoff (resuming from the last resourceVersion), reloads the
 * kubeconfig on each restart, reports 403 at most every 10 minutes and closes every stream on `stop()`.
 */
export class NodeWatcher {
  readonly kubeconfig: string | undefined;
  private readonly logger: Logger;
  private readonly onChange: () => void;
  private readonly backoff: Backoff;
  private readonly forbidden: RateLimitedWarning;
  private readonly pollMs: number;
  private readonly listTimeoutMs: number;
  private readonly streams = new Set<AbortController>();
  /** Aborted by `stop()`: ends an in-flight list. */
  private readonly lifetime = new AbortController();
  private kc: KubeConfig | undefined;
  private informer: ListWatch<V1Node> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failing = false;
  private kubeconfigMissing = false;
  private everSynced = false;
  /** Names of Nodes added, changed or deleted since the last `takeChanges()`. */
  private dirty = new Set<string>();
  /** A list was applied since the last `takeChanges()`: every Node may have changed. */
  private relisted = false;

  constructor(opts: NodeWatcherOptions) {
    this.kubeconfig = opts.kubeconfig;
    this.logger = opts.logger;
    this.onChange = opts.onChange;
    this.backoff = new Backoff({ initialMs: 1_000, maxMs: 5 * 60_000, multiplier: 2, ...opts.backoff });
    this.forbidden = new RateLimitedWarning(FORBIDDEN_WARNING, opts.forbiddenWarningIntervalMs ?? 10 * 60_000);
    this.pollMs = opts.kubeconfigPollMs ?? 1_000;
    this.listTimeoutMs = opts.listTimeoutMs ?? 30_000;
  }

  /** True once a first list has been applied: only then does `nodes()` describe the cluster. */
  get synced(): boolean {
    return this.everSynced;
  }

  /** The cached Nodes (the last known ones while disconnected). */
  nodes(): readonly V1Node[] {
    return this.informer?.list() ?? [];
  }

  /** The cached Node named `name`. */
  node(name: string): V1Node | undefined {
    return this.informer?.get(name);
  }

  /**
   * What changed since the last call: `full` after a (re)list, when the caller should recompute
   * everything from `nodes()`; otherwise the names of the Nodes to look at again.
   */
  takeChanges(): { readonly full: boolean; readonly names: ReadonlySet<string> } {
    const out = { full: this.relisted, names: this.dirty };
    this.relisted = false;
    this.dirty = new Set();
    return out;
  }

  start(): void {
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.lifetime.abort();
    clearTimeout(this.timer);
    this.timer = undefined;
    void this.informer?.stop();
    for (const s of this.streams) s.abort();
    this.streams.clear();
  }

  private connect(): void {
    this.timer = undefined;
    if (this.stopped) return;
    try {
      this.kc = loadKubeConfig(this.kubeconfig);
    } catch (e) {
      // Talos waits for the kubelet's kubeconfig to appear: poll, and say so once.
      if (!this.kubeconfigMissing) this.logger.warn({ err: e }, 'Kubernetes registry: waiting for a usable kubeconfig');
      this.kubeconfigMissing = true;
      this.timer = setTimeout(() => this.connect(), this.pollMs);
      return;
    }
    this.kubeconfigMissing = false;
    if (this.informer === undefined) {
      this.informer = new ListWatch<V1Node>(NODES_PATH, this.trackedWatch(), () => this.list(), false);
      const changed = (node: V1Node): void => {
        this.dirty.add(node.metadata?.name ?? '');
        this.onChange();
      };
      this.informer.on('add', changed);
      this.informer.on('update', changed);
      this.informer.on('delete', changed);
      this.informer.on('error', (err: unknown) => this.failed(err));
    }
    this.informer.start().catch((e: unknown) => this.failed(e));
  }

  private async list(): Promise<V1NodeList> {
    const kc = this.kc;
    if (kc === undefined) throw new Error('no kubeconfig loaded');
    const api = kc.makeApiClient(CoreV1Api);
    const list = await boundedRequest((signal) => api.listNode({}, requestOptions(signal)), this.listTimeoutMs, 'list Nodes', this.lifetime.signal);
    // The informer applies it synchronously once this resolves, before anyone reads the cache.
    this.relisted = true;
    return list;
  }

  /**
   * The watch the informer uses: with the current credentials; a non-410 ERROR event ends the stream
   * as an error (the informer would otherwise rewatch at once, forever); streams are tracked so that
   * `stop()` closes them, even one whose headers arrive after it.
   */
  private trackedWatch(): Watch {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the subclass needs the watcher's state
    const self = this;
    return new (class extends Watch {
      override async watch(
        path: string,
        params: Record<string, string | number | boolean | undefined>,
        callback: (phase: string, obj: unknown, raw?: unknown) => void,
        done: (err: unknown) => void,
      ): Promise<AbortController> {
        if (self.stopped || self.kc === undefined) {
          const c = new AbortController();
          c.abort();
          return c;
        }
        // The list that precedes this watch has been applied to the cache by now.
        self.synced_();
        let finished = false;
        const finish = (err: unknown): void => {
          if (finished) return;
          finished = true;
          done(err);
        };
        // The stream's controller, once `watch` has returned it (events may come before that).
        const stream: { controller?: AbortController } = {};
        const c = await new Watch(self.kc).watch(
          path,
          params,
          (phase, obj: unknown, raw) => {
            const code = (obj as { code?: unknown } | null)?.code;
            if (phase === 'ERROR' && code !== 410) {
              stream.controller?.abort();
              finish(Object.assign(new Error(`watch error event: ${JSON.stringify(obj)}`), { statusCode: code }));
              return;
            }
            if (phase !== 'ERROR') self.healthy();
            callback(phase, obj, raw);
          },
          finish,
        );
        stream.controller = c;
        // Not finished on return: the server answered 200 and streams. Only that (or an event)
        // counts as healthy; a list that succeeds before a refused watch must not reset the backoff.
        if (!finished) self.healthy();
        if (self.stopped || finished) c.abort();
        else if (!c.signal.aborted) {
          self.streams.add(c);
          c.signal.addEventListener('abort', () => self.streams.delete(c), { once: true });
        }
        return c;
      }
    })(this.kc ?? loadKubeConfig(this.kubeconfig));
  }

  private synced_(): void {
    const first = !this.everSynced;
    this.everSynced = true;
    if (first) this.logger.info({ nodes: this.nodes().length }, 'Kubernetes registry: Nodes listed, watching');
    this.onChange();
  }

  private healthy(): void {
    if (this.failing) this.logger.info('Kubernetes registry: connected to the API server again');
    this.failing = false;
    this.forbidden.clearPending();
    this.backoff.reset();
  }

  private failed(err: unknown): void {
    if (this.stopped) return;
    // One restart per failure: the informer may report the same failure more than once.
    if (this.timer !== undefined) return;
    const status = httpStatusOf(err);
    const delay = this.backoff.next();
    if (status === 403) {
      this.forbidden.report(this.logger, { status, retryInMs: Math.round(delay) });
    } else if (!this.failing) {
      this.logger.warn({ err, status, retryInMs: Math.round(delay) }, 'Kubernetes registry: list/watch of Nodes failed; reconnecting with backoff');
    }
    this.failing = true;
    this.timer = setTimeout(() => this.connect(), delay);
  }
}
