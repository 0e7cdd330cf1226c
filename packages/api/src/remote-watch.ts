import { Metadata, status } from '@grpc/grpc-js';
import type { ClientReadableStream, ServiceError } from '@grpc/grpc-js';
import { Observable } from 'rxjs';
import type { Subscriber } from 'rxjs';
import type { IdQuery, LabelQuery, Resource } from '@cosi-ts/resource';
import { OverrunError, isInvalidBookmark, resyncDiff } from '@cosi-ts/state';
import type { Bookmark, StateEvent, WatchKindOptions } from '@cosi-ts/state';
import { EventType } from './gen/cosi/resource/resource.ts';
import type { StateClient, WatchRequest, WatchResponse } from './gen/cosi/resource/state.ts';
import { ERROR_TRAILER, errorFromStatus } from './status-mapping.ts';
import { eventFromWire, idQueryToWire, labelQueriesToWire } from './wire-codec.ts';

export type WatchShape = 'single' | 'kind' | 'aggregated';

export interface RemoteWatchTarget {
  readonly namespace: string;
  readonly type: string;
  readonly id?: string;
}

export interface RemoteWatchContext {
  readonly client: StateClient;
  /** Call metadata (the bearer token). */
  metadata(): Metadata;
  /** Delay before the n-th consecutive reconnect (n ≥ 1). */
  backoffMs(attempt: number): number;
  /** Aborts when the RemoteState closes. */
  readonly closed: AbortSignal;
}

/** The server's protocol version we speak: all event types (spec §3.2). */
const API_VERSION = 1;

/** Status codes that mean "the connection or server went away", after which the watch resumes. */
function isTransportLoss(e: ServiceError): boolean {
  if (e.metadata?.get(ERROR_TRAILER)[0] !== undefined) return false;
  return [status.UNAVAILABLE, status.CANCELLED, status.INTERNAL, status.UNKNOWN, status.DEADLINE_EXCEEDED, status.RESOURCE_EXHAUSTED, status.OK].includes(
    e.code,
  );
}

/**
 * A watch over the resource API that survives broken connections (state §8). It resumes from its
 * last bookmark, so no event is lost or repeated. Before the first bookmark it asks again for what it
 * asked at first (nothing was delivered that could repeat; a live kind watch asks for a bootstrap
 * `noop` it swallows, so that it has a bookmark at once). When the bookmark is gone, a
 * `bootstrapContents` watch bootstraps again and emits the §6.6 diff from what it delivered, as
 * InMemoryState does on overrun; any other watch gets one `errored(Overrun)`.
 */
export function remoteWatch(
  ctx: RemoteWatchContext,
  target: RemoteWatchTarget,
  opts: WatchKindOptions,
  shape: WatchShape,
): Observable<readonly StateEvent[]> {
  return new Observable<readonly StateEvent[]>((subscriber) => {
    const run = new WatchRun(ctx, target, opts, shape, subscriber);
    run.start();
    return () => run.stop();
  });
}

class WatchRun {
  readonly #ctx: RemoteWatchContext;
  readonly #target: RemoteWatchTarget;
  readonly #opts: WatchKindOptions;
  readonly #shape: WatchShape;
  readonly #out: Subscriber<readonly StateEvent[]>;
  readonly #labels: LabelQuery[] | undefined;
  readonly #idQuery: IdQuery | undefined;
  /** id → last delivered resource, kept for bootstrapContents watches only. */
  readonly #view: Map<string, Resource> | undefined;
  #bookmark: Bookmark | undefined;
  #call: ClientReadableStream<WatchResponse> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #stopped = false;
  /** The current stream sent its readiness message. */
  #established = false;
  /** A noop we asked for ourselves is expected first: it is not delivered. */
  #swallowNoop = false;
  /** Rebootstrapping: the snapshot so far, diffed against the view at its `bootstrapped`. */
  #snapshot: Resource[] | undefined;
  #erroredMessage: string | undefined;
  readonly #onAbort = () => this.#finish();

  constructor(ctx: RemoteWatchContext, target: RemoteWatchTarget, opts: WatchKindOptions, shape: WatchShape, out: Subscriber<readonly StateEvent[]>) {
    this.#ctx = ctx;
    this.#target = target;
    this.#opts = opts;
    this.#shape = shape;
    this.#out = out;
    this.#labels = opts.labels as LabelQuery[] | undefined;
    this.#idQuery = opts.idQuery;
    this.#view = opts.bootstrapContents && shape !== 'single' ? new Map() : undefined;
  }

  start(): void {
    if (this.#opts.signal?.aborted || this.#ctx.closed.aborted) {
      this.#finish();
      return;
    }
    this.#opts.signal?.addEventListener('abort', this.#onAbort, { once: true });
    this.#ctx.closed.addEventListener('abort', this.#onAbort, { once: true });
    this.#open();
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#opts.signal?.removeEventListener('abort', this.#onAbort);
    this.#ctx.closed.removeEventListener('abort', this.#onAbort);
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const call = this.#call;
    this.#call = undefined;
    call?.cancel();
  }

  #finish(): void {
    this.stop();
    this.#out.complete();
  }

  #fail(error: Error): void {
    this.stop();
    this.#out.next([{ type: 'errored', error }]);
    this.#out.complete();
  }

  #request(): WatchRequest {
    const o = this.#opts;
    const resume = this.#bookmark;
    const first = this.#attempt === 0 || resume === undefined;
    const rebootstrap = this.#view !== undefined;
    const live = this.#shape !== 'single' && !o.bootstrapContents && o.tailEvents === undefined && o.startFromBookmark === undefined;
    // Ask for a bookmark at once (and swallow it) unless the user asked for one themselves.
    this.#swallowNoop = first && resume === undefined && live && !o.bootstrapBookmark;
    const options: WatchRequest['options'] = {
      bootstrapContents: resume === undefined && rebootstrap,
      tailEvents: first && resume === undefined && o.tailEvents !== undefined ? o.tailEvents : 0,
      labelQuery: labelQueriesToWire(this.#labels),
      idQuery: idQueryToWire(this.#idQuery),
      aggregated: this.#shape === 'aggregated',
      bootstrapBookmark: resume === undefined && live && (o.bootstrapBookmark === true || this.#swallowNoop),
    };
    if (resume !== undefined) options.startFromBookmark = Buffer.from(resume);
    else if (o.startFromBookmark !== undefined) options.startFromBookmark = Buffer.from(o.startFromBookmark);
    const req: WatchRequest = { namespace: this.#target.namespace, type: this.#target.type, options, apiVersion: API_VERSION };
    if (this.#target.id !== undefined) req.id = this.#target.id;
    return req;
  }

  #open(): void {
    if (this.#stopped) return;
    const resuming = this.#bookmark !== undefined;
    // A bootstrap watch that reconnects without a bookmark bootstraps again and diffs (§6.6).
    this.#snapshot = !resuming && this.#view !== undefined && this.#attempt > 0 ? [] : undefined;
    this.#established = false;
    this.#erroredMessage = undefined;
    const call = this.#ctx.client.watch(this.#request(), this.#ctx.metadata());
    this.#call = call;
    call.on('data', (res: WatchResponse) => {
      if (this.#call !== call) return;
      try {
        this.#receive(res);
      } catch (e) {
        // A message that does not decode: the stream cannot be trusted from here on.
        this.#fail(e as Error);
      }
    });
    call.on('error', (e: ServiceError) => {
      if (this.#call !== call) return;
      this.#call = undefined;
      this.#ended(e);
    });
    call.on('end', () => {
      if (this.#call !== call) return;
      this.#call = undefined;
      // Ended without a status error: the server went away cleanly (shutdown). Resume.
      this.#ended({ code: status.UNAVAILABLE, details: 'watch stream ended', metadata: new Metadata() } as ServiceError);
    });
  }

  #ended(e: ServiceError): void {
    if (this.#stopped) return;
    const resumable = isTransportLoss(e) && (e.code !== status.RESOURCE_EXHAUSTED || this.#established);
    if (this.#erroredMessage === undefined && resumable) {
      this.#retry();
      return;
    }
    const error = this.#erroredMessage !== undefined && e.metadata?.get(ERROR_TRAILER)[0] === undefined
      ? new Error(this.#erroredMessage)
      : errorFromStatus('Watch', e, { namespace: this.#target.namespace, type: this.#target.type, id: this.#target.id ?? '' });
    if (isInvalidBookmark(error) && this.#attempt > 0 && this.#bookmark !== undefined) {
      // Our resume point is gone (the watch fell too far behind while disconnected).
      if (this.#view !== undefined) {
        this.#bookmark = undefined;
        this.#retry(true);
        return;
      }
      this.#fail(new OverrunError(this.#target.namespace, this.#target.type));
      return;
    }
    this.#fail(error);
  }

  #retry(now = false): void {
    this.#attempt++;
    const delay = now ? 0 : this.#ctx.backoffMs(this.#attempt);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#open();
    }, delay);
  }

  #receive(res: WatchResponse): void {
    if (!this.#established) {
      this.#established = true;
      if (res.event.length === 0) return; // the readiness message (spec §3.1)
    }
    const batch: StateEvent[] = [];
    for (const w of res.event) {
      if (w.eventType === EventType.ERRORED) {
        this.#erroredMessage = w.error ?? 'watch errored';
        break;
      }
      const e = eventFromWire(w);
      if (e.type !== 'errored' && e.bookmark !== undefined && e.bookmark.length > 0) this.#bookmark = e.bookmark;
      if (this.#swallowNoop && e.type === 'noop') {
        this.#swallowNoop = false;
        continue;
      }
      if (this.#snapshot !== undefined) {
        if (e.type === 'created') {
          this.#snapshot.push(e.resource);
          continue;
        }
        if (e.type === 'bootstrapped') {
          for (const d of resyncDiff(this.#view as Map<string, Resource>, this.#snapshot) as StateEvent[]) {
            this.#track(d);
            batch.push(d);
          }
          this.#snapshot = undefined;
        }
      }
      this.#track(e);
      batch.push(e);
    }
    if (batch.length === 0) return;
    this.#attempt = 0;
    if (this.#shape === 'aggregated') this.#out.next(batch);
    else for (const e of batch) {
      if (this.#stopped) return;
      this.#out.next([e]);
    }
  }

  #track(e: StateEvent): void {
    const view = this.#view;
    if (view === undefined) return;
    if (e.type === 'created' || e.type === 'updated') view.set(e.resource.metadata.id, e.resource);
    else if (e.type === 'destroyed') view.delete(e.resource.metadata.id);
  }
}
