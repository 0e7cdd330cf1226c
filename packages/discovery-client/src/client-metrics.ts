import { Counter, Gauge, Registry } from 'prom-client';
import type { BlobErrorReason } from './discovery-client-error.ts';

/** prom-client metrics of discovery clients; one set per Registry, shared by clients that share one. */
export interface ClientMetrics {
  readonly connects: Counter<'result'>;
  readonly reconnects: Counter;
  readonly refreshes: Counter<'result'>;
  readonly skippedBlobs: Counter<'reason'>;
  readonly affiliates: Gauge;
  readonly redirects: Counter;
}

const byRegistry = new WeakMap<Registry, ClientMetrics>();

export function clientMetrics(registry: Registry): ClientMetrics {
  let m = byRegistry.get(registry);
  if (m === undefined) {
    const registers = [registry];
    m = {
      connects: new Counter({ name: 'discovery_client_connects_total', help: 'Hello calls, by result', labelNames: ['result'], registers }),
      reconnects: new Counter({ name: 'discovery_client_reconnects_total', help: 'Watches opened after the first one', registers }),
      refreshes: new Counter({ name: 'discovery_client_refreshes_total', help: 'Refresh batches sent, by result', labelNames: ['result'], registers }),
      skippedBlobs: new Counter({
        name: 'discovery_client_skipped_blobs_total',
        help: 'Blobs from the service that did not decrypt or parse, by reason',
        labelNames: ['reason'],
        registers,
      }),
      affiliates: new Gauge({ name: 'discovery_client_affiliates', help: 'Other affiliates in the cache (sum over clients sharing the registry)', registers }),
      redirects: new Counter({ name: 'discovery_client_redirects_total', help: 'Redirects followed', registers }),
    };
    byRegistry.set(registry, m);
  }
  return m;
}

export function countSkipped(m: ClientMetrics, reason: BlobErrorReason): void {
  m.skippedBlobs.inc({ reason });
}
