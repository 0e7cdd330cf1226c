import { status } from '@grpc/grpc-js';
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { Observable } from 'rxjs';
import { Subscription, map } from 'rxjs';
import type { Logger } from 'pino';
import type { State, StateEvent, WatchKindOptions } from '@cosi-ts/state';
import { WatchResponse } from './gen/cosi/resource/state.ts';
import type { WatchRequest } from './gen/cosi/resource/state.ts';
import type { ApiLimits } from './limits.ts';
import type { ApiMetrics } from './api-metrics.ts';
import { statusOf } from './status-mapping.ts';
import type { ErrorStatus } from './status-mapping.ts';
import { eventToWire, idQueryFromWire, labelQueriesFromWire } from './wire-codec.ts';

/** A status that ends a call before it started: UNIMPLEMENTED, INVALID_ARGUMENT and the like. */
export class CallRefused extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

/** The state observable a WatchRequest asks for (spec §3.3); throws CallRefused or TypeError. */
export function watchSource(state: State, req: WatchRequest, limits: ApiLimits): Observable<readonly StateEvent[]> {
  const o = req.options;
  const labels = labelQueriesFromWire(o?.labelQuery ?? []);
  if (labels.length > limits.maxLabelQueries || labels.some((q) => q.length > limits.maxLabelTerms)) {
    throw new CallRefused(status.INVALID_ARGUMENT, `label query too large: at most ${limits.maxLabelQueries} queries of ${limits.maxLabelTerms} terms`);
  }
  const idQuery = idQueryFromWire(o?.idQuery);
  if (idQuery !== undefined && String(idQuery.regexp).length > limits.maxIdQueryLength) {
    throw new CallRefused(status.INVALID_ARGUMENT, `id query longer than ${limits.maxIdQueryLength} characters`);
  }
  const tailEvents = o?.tailEvents ?? 0;
  if (tailEvents < 0) throw new CallRefused(status.INVALID_ARGUMENT, `tail_events must be >= 0, got ${tailEvents}`);
  const common = {
    ...(tailEvents > 0 ? { tailEvents } : {}),
    ...(o?.startFromBookmark !== undefined ? { startFromBookmark: new Uint8Array(o.startFromBookmark) } : {}),
  };
  if (req.id !== undefined) {
    if (o?.bootstrapContents || labels.length > 0) {
      throw new CallRefused(status.UNIMPLEMENTED, 'bootstrap_contents and label queries are not supported on a watch of one id');
    }
    return state.watch({ namespace: req.namespace, type: req.type, id: req.id }, common).pipe(map((e) => [e]));
  }
  const kind = { namespace: req.namespace, type: req.type };
  const opts: WatchKindOptions = {
    ...common,
    ...(o?.bootstrapContents ? { bootstrapContents: true } : {}),
    ...(o?.bootstrapBookmark ? { bootstrapBookmark: true } : {}),
    ...(labels.length > 0 ? { labels } : {}),
    ...(idQuery !== undefined ? { idQuery } : {}),
  };
  return o?.aggregated ? state.watchKindAggregated(kind, opts) : state.watchKind(kind, opts).pipe(map((e) => [e]));
}

export interface ServeWatchOptions {
  readonly limits: ApiLimits;
  readonly metrics: ApiMetrics;
  readonly logger: Logger;
  /** Called once when the stream ends, however it ends. */
  readonly onEnd: (code: status) => void;
}

/**
 * Forwards a state watch to a grpc-js stream: the empty readiness response first (spec §3.1), then
 * one response per batch (aggregated) or per event. api_version 0 drops BOOTSTRAPPED and ERRORED.
 * An errored event ends the stream with its status (InvalidBookmark → FAILED_PRECONDITION, spec §4)
 * after an ERRORED event for api_version ≥ 1 (other than InvalidBookmark, which COSI reports by status only).
 * The bytes handed to the stream but not yet taken by the transport are counted; past
 * `maxUnsentWatchBytes` the watch ends with RESOURCE_EXHAUSTED and nothing more is buffered.
 */
export function serveWatch(
  call: ServerWritableStream<Buffer, Buffer>,
  source: Observable<readonly StateEvent[]>,
  apiVersion: number,
  o: ServeWatchOptions,
): void {
  let unsent = 0;
  let ended = false;
  // Created first, so an end during subscribe() (a source failing at once) still releases the watch.
  const sub = new Subscription();
  const end = (code: status, fail?: ErrorStatus | { code: status; details: string }) => {
    if (ended) return;
    ended = true;
    sub.unsubscribe();
    o.onEnd(code);
    if (fail === undefined) call.end();
    else call.emit('error', fail);
  };
  const send = (response: WatchResponse): void => {
    const bytes = Buffer.from(WatchResponse.encode(response).finish());
    if (bytes.length > o.limits.maxMessageBytes) {
      end(status.RESOURCE_EXHAUSTED, { code: status.RESOURCE_EXHAUSTED, details: `watch batch of ${bytes.length} bytes exceeds the message limit` });
      return;
    }
    unsent += bytes.length;
    if (unsent > o.limits.maxUnsentWatchBytes) {
      o.logger.warn({ peer: call.getPeer(), unsent, limit: o.limits.maxUnsentWatchBytes }, 'watch cut: client stopped reading');
      end(status.RESOURCE_EXHAUSTED, {
        code: status.RESOURCE_EXHAUSTED,
        details: `watch cut: more than ${o.limits.maxUnsentWatchBytes} bytes unsent (the client stopped reading)`,
      });
      return;
    }
    o.metrics.eventsSent.inc(response.event.length);
    // The callback runs once the transport took the bytes; while the client does not read, it does not.
    call.write(bytes, () => {
      unsent -= bytes.length;
    });
  };
  call.on('cancelled', () => end(status.CANCELLED));
  call.on('error', () => end(status.CANCELLED));
  send({ event: [] });
  sub.add(source.subscribe({
    next: (batch) => {
      if (ended) return;
      const events = [];
      for (const e of batch) {
        if (e.type === 'errored') {
          const st = statusOf('Watch', e.error);
          if (apiVersion >= 1 && st.metadata.get('cosi-ts-error')[0] !== 'InvalidBookmark') events.push(eventToWire(e));
          if (events.length > 0) send({ event: events });
          end(st.code, st);
          return;
        }
        if (apiVersion < 1 && e.type === 'bootstrapped') continue;
        events.push(eventToWire(e));
      }
      if (events.length > 0) send({ event: events });
    },
    error: (e: unknown) => end(status.INTERNAL, statusOf('Watch', e)),
    complete: () => end(status.OK),
  }));
  if (ended) sub.unsubscribe();
}
