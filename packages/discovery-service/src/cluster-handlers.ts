import {
  CLUSTER_SERVICE_NAME,
  malformedRequest,
  type AffiliateDeleteRequest,
  type AffiliateDeleteResponse,
  type AffiliateUpdateRequest,
  type AffiliateUpdateResponse,
  type ClusterServer,
  type HelloRequest,
  type HelloResponse,
  type ListRequest,
  type ListResponse,
  type WatchRequest,
  type WatchResponse,
} from '@cosi-ts/discovery-api';
import { status, type Metadata, type ServerErrorResponse, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { ipBytesToString, resolveClientIp, type ClientIpPolicy } from './client-ip.ts';
import type { ClusterStore } from './cluster-store.ts';
import { DiscoveryError, isDiscoveryError, type DiscoveryErrorCode } from './discovery-error.ts';
import { ProblemLog } from './problem-log.ts';
import type { RateLimiter } from './rate-limiter.ts';
import type { GrpcType, ServiceMetrics } from './service-metrics.ts';
import { validateAffiliateData, validateAffiliateId, validateClusterId, validateEndpoints, validateTtl } from './validate.ts';
import { normalizeClientVersion } from './version-label.ts';
import type { WatchQuota, WatchTicket } from './watch-quota.ts';
import { WatchSender } from './watch-sender.ts';

export interface ClusterHandlersOptions {
  readonly store: ClusterStore;
  readonly metrics: ServiceMetrics;
  readonly logger: Logger;
  readonly clientIp: ClientIpPolicy;
  /** Undefined: no rate limit. */
  readonly rateLimiter: RateLimiter | undefined;
  /** `host:port` sent in every Hello (spec §3.1 step 4); undefined: none. */
  readonly redirectEndpoint: string | undefined;
  /** Aborted when the server stops: calls waiting for a rate-limit token end with Unavailable. */
  readonly shutdown: AbortSignal;
  /** Open Watches and their unsent bytes, per client IP and in total. */
  readonly watchQuota: WatchQuota;
  /** A Watch whose unsent output makes no progress for this long has its connection closed. */
  readonly watchStallTimeoutMs: number;
  /** Closes the TCP connection of a call's peer (`call.getPeer()`); false if there is none. */
  readonly closeConnection: (peer: string) => boolean;
}

type AnyCall = ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>;

interface GrpcStatus {
  code: status;
  details: string;
}

/** Active Watch streams, so shutdown can end them with OK. */
export interface ActiveWatches {
  endAll(): void;
  readonly size: number;
  /** Affiliate changes recorded but not yet sent, over all Watches. */
  pending(): number;
}

// Log lines of the ways a Watch is refused for a bound of ours (not per call: see ProblemLog).
const REFUSALS: Partial<Record<DiscoveryErrorCode, string>> = {
  'too-many-watches-per-ip': 'watch refused: too many watches from one client IP',
  'too-many-watches': 'watch refused: too many watches on the server',
  'watch-backlog-per-ip': 'watch refused: too much unsent watch data for one client IP',
  'watch-backlog': 'watch refused: too much unsent watch data on the server',
};

const CANCELLED: GrpcStatus = { code: status.CANCELLED, details: 'call cancelled by the client' };

function headerOf(metadata: Metadata): (name: string) => string | undefined {
  return (name) => {
    const v = metadata.get(name)[0];
    return typeof v === 'string' ? v : undefined;
  };
}

/** A request StrictClusterService could not decode, as the error to answer; undefined if it decoded. */
function malformedError(request: unknown): DiscoveryError | undefined {
  const bad = typeof request === 'object' && request !== null ? malformedRequest(request) : undefined;
  return bad === undefined ? undefined : new DiscoveryError('malformed-request', undefined, bad.detail);
}

function deadlineOf(call: AnyCall): number {
  const d = call.getDeadline();
  return d instanceof Date ? d.getTime() : d;
}

/**
 * The five RPCs of `sidero.discovery.server.Cluster` over a ClusterStore (spec §3). Errors of the
 * protocol map to their status; anything else is a bug and answers Internal without crashing.
 */
export function createClusterHandlers(o: ClusterHandlersOptions): { handlers: ClusterServer; watches: ActiveWatches } {
  const active = new Map<ServerWritableStream<WatchRequest, WatchResponse>, WatchSender>();
  const problems = new ProblemLog(o.logger);

  const toStatus = (method: string, e: unknown): GrpcStatus => {
    if (isDiscoveryError(e)) return { code: e.grpcCode, details: e.message };
    o.logger.error({ err: e, method }, 'unexpected error handling a request');
    return { code: status.INTERNAL, details: 'internal error' };
  };

  const clientIpOf = (call: AnyCall): Buffer | undefined => resolveClientIp(o.clientIp, headerOf(call.metadata), call.getPeer());

  const limit = async (call: AnyCall): Promise<void> => {
    if (o.rateLimiter === undefined) return;
    const ip = clientIpOf(call);
    if (ip === undefined) return;
    if (o.shutdown.aborted) throw new DiscoveryError('shutting-down');
    const cancelled = new AbortController();
    const onCancel = (): void => cancelled.abort(new Error('call cancelled while rate limited'));
    const onShutdown = (): void => cancelled.abort(new DiscoveryError('shutting-down'));
    call.once('cancelled', onCancel);
    o.shutdown.addEventListener('abort', onShutdown, { once: true });
    try {
      await o.rateLimiter.acquire(ipBytesToString(ip), deadlineOf(call), cancelled.signal);
    } finally {
      call.removeListener('cancelled', onCancel);
      o.shutdown.removeEventListener('abort', onShutdown);
    }
  };

  const unary = <Req, Res>(method: string, run: (req: Req, call: ServerUnaryCall<Req, Res>) => Res, before?: (req: Req) => void) => {
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      const m = o.metrics.rpcStarted('unary' satisfies GrpcType, CLUSTER_SERVICE_NAME, method);
      m.received();
      const bad = malformedError(call.request);
      if (bad !== undefined) {
        m.handled(bad.grpcCode);
        callback({ code: bad.grpcCode, details: bad.message } as ServerErrorResponse);
        return;
      }
      before?.(call.request);
      limit(call as AnyCall)
        .then(() => run(call.request, call))
        .then(
          (res) => {
            m.sent();
            m.handled(status.OK);
            callback(null, res);
          },
          (e: unknown) => {
            // A call cancelled while it waited for a token is nobody's error: no log, nobody to answer.
            const s = call.cancelled ? CANCELLED : toStatus(method, e);
            m.handled(s.code);
            callback(s as ServerErrorResponse);
          },
        )
        .catch((e: unknown) => o.logger.error({ err: e, method }, 'unexpected error answering a request'));
    };
  };

  const handlers: ClusterServer = {
    hello: unary<HelloRequest, HelloResponse>(
      'Hello',
      (req, call) => {
        validateClusterId(req.clusterId);
        const ip = clientIpOf(call as AnyCall);
        const res: HelloResponse = { clientIp: ip ?? Buffer.alloc(0) };
        if (o.redirectEndpoint !== undefined) res.redirect = { endpoint: o.redirectEndpoint };
        return res;
      },
      // Counted before validation and rate limiting (spec §3.1 step 1).
      (req) => o.metrics.hello(normalizeClientVersion(req.clientVersion)),
    ),

    affiliateUpdate: unary<AffiliateUpdateRequest, AffiliateUpdateResponse>('AffiliateUpdate', (req) => {
      validateClusterId(req.clusterId);
      validateAffiliateId(req.affiliateId);
      validateAffiliateData(req.affiliateData);
      validateEndpoints(req.affiliateEndpoints);
      const ttlMs = validateTtl(req.ttl);
      o.store.update(req.clusterId, { affiliateId: req.affiliateId, data: req.affiliateData, endpoints: req.affiliateEndpoints, ttlMs });
      return {};
    }),

    affiliateDelete: unary<AffiliateDeleteRequest, AffiliateDeleteResponse>('AffiliateDelete', (req) => {
      validateClusterId(req.clusterId);
      validateAffiliateId(req.affiliateId);
      o.store.delete(req.clusterId, req.affiliateId);
      return {};
    }),

    list: unary<ListRequest, ListResponse>('List', (req) => {
      validateClusterId(req.clusterId);
      return { affiliates: o.store.list(req.clusterId).map((a) => ({ id: a.id, data: a.data, endpoints: [...a.endpoints] })) };
    }),

    watch: (call: ServerWritableStream<WatchRequest, WatchResponse>): void => {
      const m = o.metrics.rpcStarted('server_stream', CLUSTER_SERVICE_NAME, 'Watch');
      m.received();
      const fail = (s: GrpcStatus): void => {
        m.handled(s.code);
        call.emit('error', s);
      };
      // `clientIp`: the IP the limit counted (a trusted proxy header's), beside the transport peer.
      const refuse = (e: unknown, clientIp: string | undefined): void => {
        const message = isDiscoveryError(e) ? REFUSALS[e.code] : undefined;
        // Once a minute per kind: a client retrying in a loop must not flood the log.
        if (message !== undefined) problems.warn((e as DiscoveryError).code, { clientIp, peer: call.getPeer(), details: (e as DiscoveryError).message }, message);
        fail(toStatus('Watch', e));
      };
      const bad = malformedError(call.request);
      if (bad !== undefined) {
        fail(toStatus('Watch', bad));
        return;
      }
      limit(call as AnyCall).then(
        () => {
          if (call.cancelled) {
            m.handled(status.CANCELLED);
            return;
          }
          if (o.shutdown.aborted) {
            // Watches were already ended for shutdown; one registered now would hold the server open.
            fail(toStatus('Watch', new DiscoveryError('shutting-down')));
            return;
          }
          try {
            validateClusterId(call.request.clusterId);
          } catch (e) {
            fail(toStatus('Watch', e));
            return;
          }
          const resolved = clientIpOf(call as AnyCall);
          const ip = resolved === undefined ? undefined : ipBytesToString(resolved);
          let ticket: WatchTicket;
          try {
            ticket = o.watchQuota.admit(ip);
          } catch (e) {
            refuse(e, ip);
            return;
          }
          const stopSending = (): void => {
            active.delete(call);
            sender.finish();
          };
          // The ticket (its Watch count and unsent bytes) is held until the stream is really gone, or
          // has taken everything written to it ('finish' comes only after every write's callback).
          const closed = (): void => {
            active.delete(call);
            sender.close();
            ticket.release();
          };
          const sender = new WatchSender(
            {
              write: (msg, written) => call.write(msg, written),
              onDrain: (listener) => call.once('drain', listener),
              abort: () => {
                stopSending();
                // One line per slow client, not per message.
                o.logger.warn({ peer: call.getPeer(), clusterId: call.request.clusterId }, 'watch ended: client fell too far behind');
                // Queued behind what the client has not read; if it never reads, the stall clock,
                // still running on that output, closes the connection.
                fail({ code: status.ABORTED, details: new DiscoveryError('lost-update').message });
              },
              stalled: () => {
                problems.warn(
                  'watch-stalled',
                  { peer: call.getPeer(), clusterId: call.request.clusterId, stallTimeoutMs: o.watchStallTimeoutMs },
                  'watch stalled: client stopped reading; connection closed',
                );
                m.handled(status.RESOURCE_EXHAUSTED);
                closed();
                // A status would wait behind the unread output for ever, and grpc-js cannot reset one
                // stream: closing the connection is what frees that output.
                if (!o.closeConnection(call.getPeer())) call.emit('error', { code: status.RESOURCE_EXHAUSTED, details: 'watch stalled: client stopped reading' });
              },
            },
            { onSent: () => m.sent(), stallTimeoutMs: o.watchStallTimeoutMs, ticket },
          );
          active.set(call, sender);
          call.once('cancelled', () => {
            closed();
            m.handled(status.CANCELLED);
          });
          call.once('finish', () => {
            closed();
            m.handled(status.OK);
          });
          try {
            sender.start(o.store.subscribe(call.request.clusterId, sender));
          } catch (e) {
            closed();
            refuse(e, ip);
          }
        },
        (e: unknown) => fail(call.cancelled ? CANCELLED : toStatus('Watch', e)),
      ).catch((e: unknown) => {
        // A bug in the handler above: answer Internal rather than leave an unhandled rejection.
        fail(toStatus('Watch', e));
      });
    },
  };

  return {
    handlers,
    watches: {
      endAll: () => {
        // Each ends with OK once the client has taken what was written to it; 'finish' then releases it.
        for (const [call, sender] of active) {
          sender.finish();
          call.end();
        }
        active.clear();
      },
      get size() {
        return active.size;
      },
      pending: () => {
        let n = 0;
        for (const sender of active.values()) n += sender.pendingCount;
        return n;
      },
    },
  };
}
