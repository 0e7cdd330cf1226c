import { status } from '@grpc/grpc-js';
import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';
import type { StoreStats } from './cluster-store.ts';
import { MAX_CLIENT_VERSION_LABELS } from './limits.ts';

export type GrpcType = 'unary' | 'server_stream';
export type StorageOperation = 'save' | 'load';

/** Go's names of gRPC status codes: go-grpc-prometheus labels `grpc_code` with them. */
const GO_CODE_NAMES: Record<number, string> = {
  [status.OK]: 'OK',
  [status.CANCELLED]: 'Canceled',
  [status.UNKNOWN]: 'Unknown',
  [status.INVALID_ARGUMENT]: 'InvalidArgument',
  [status.DEADLINE_EXCEEDED]: 'DeadlineExceeded',
  [status.NOT_FOUND]: 'NotFound',
  [status.ALREADY_EXISTS]: 'AlreadyExists',
  [status.PERMISSION_DENIED]: 'PermissionDenied',
  [status.RESOURCE_EXHAUSTED]: 'ResourceExhausted',
  [status.FAILED_PRECONDITION]: 'FailedPrecondition',
  [status.ABORTED]: 'Aborted',
  [status.OUT_OF_RANGE]: 'OutOfRange',
  [status.UNIMPLEMENTED]: 'Unimplemented',
  [status.INTERNAL]: 'Internal',
  [status.UNAVAILABLE]: 'Unavailable',
  [status.DATA_LOSS]: 'DataLoss',
  [status.UNAUTHENTICATED]: 'Unauthenticated',
};

export interface StorageOperationFigures {
  sizeBytes: number;
  clusters: number;
  affiliates: number;
  endpoints: number;
  durationSeconds: number;
}

/**
 * Every metric of spec §5.3, with the Go server's names so existing dashboards work (R7). Registered
 * on the given registry, never the global one.
 */
export class ServiceMetrics {
  readonly registry: Registry;
  readonly #hello: Counter<'client_version'>;
  readonly #helloLabels = new Set<string>(['unknown']);
  readonly #gcRuns: Counter;
  readonly #gcClusters: Counter;
  readonly #gcAffiliates: Counter;
  readonly #storageOps: Counter<'operation' | 'status'> | undefined;
  readonly #storageGauges:
    | { size: Gauge<'operation'>; clusters: Gauge<'operation'>; affiliates: Gauge<'operation'>; endpoints: Gauge<'operation'>; duration: Gauge<'operation'> }
    | undefined;
  readonly #started: Counter<'grpc_type' | 'grpc_service' | 'grpc_method'>;
  readonly #handled: Counter<'grpc_type' | 'grpc_service' | 'grpc_method' | 'grpc_code'>;
  readonly #received: Counter<'grpc_type' | 'grpc_service' | 'grpc_method'>;
  readonly #sent: Counter<'grpc_type' | 'grpc_service' | 'grpc_method'>;
  readonly #handling: Histogram<'grpc_type' | 'grpc_service' | 'grpc_method'>;

  constructor(registry: Registry, stats: () => StoreStats, options: { storage: boolean; defaultMetrics: boolean }) {
    this.registry = registry;
    const registers = [registry];
    this.#hello = new Counter({ name: 'discovery_server_hello_requests_total', help: 'Number of hello requests by client version.', labelNames: ['client_version'], registers });
    this.#hello.inc({ client_version: 'unknown' }, 0);

    // Computed at scrape time from one pass over the store, shared by the four gauges of one scrape
    // (a scrape collects them within one turn of the event loop) and never reused by a later one.
    let last: StoreStats | undefined;
    const current = (): StoreStats => {
      if (last === undefined) {
        last = stats();
        setImmediate(() => {
          last = undefined;
        }).unref();
      }
      return last;
    };
    const gauge = (name: string, help: string, pick: (s: StoreStats) => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(pick(current()));
        },
      });
    };
    gauge('discovery_state_clusters', 'Number of clusters.', (s) => s.clusters);
    gauge('discovery_state_affiliates', 'Number of affiliates.', (s) => s.affiliates);
    gauge('discovery_state_endpoints', 'Number of endpoints.', (s) => s.endpoints);
    gauge('discovery_state_subscriptions', 'Number of watch subscriptions.', (s) => s.subscriptions);

    this.#gcRuns = new Counter({ name: 'discovery_state_gc_runs_total', help: 'Number of GC runs.', registers });
    this.#gcClusters = new Counter({ name: 'discovery_state_gc_clusters_total', help: 'Number of clusters removed by GC.', registers });
    this.#gcAffiliates = new Counter({ name: 'discovery_state_gc_affiliates_total', help: 'Number of affiliates removed by GC.', registers });

    if (options.storage) {
      this.#storageOps = new Counter({ name: 'discovery_storage_operations_total', help: 'Number of snapshot operations by type and status.', labelNames: ['operation', 'status'], registers });
      const g = (name: string, help: string): Gauge<'operation'> => new Gauge({ name, help, labelNames: ['operation'], registers });
      this.#storageGauges = {
        size: g('discovery_storage_last_snapshot_size_bytes', 'Size of the last snapshot in bytes.'),
        clusters: g('discovery_storage_last_operation_clusters', 'Number of clusters in the last snapshot operation.'),
        affiliates: g('discovery_storage_last_operation_affiliates', 'Number of affiliates in the last snapshot operation.'),
        endpoints: g('discovery_storage_last_operation_endpoints', 'Number of endpoints in the last snapshot operation.'),
        duration: g('discovery_storage_last_operation_duration_seconds', 'Duration of the last snapshot operation.'),
      };
    }

    const labelNames = ['grpc_type', 'grpc_service', 'grpc_method'] as const;
    this.#started = new Counter({ name: 'grpc_server_started_total', help: 'Total number of RPCs started on the server.', labelNames, registers });
    this.#handled = new Counter({ name: 'grpc_server_handled_total', help: 'Total number of RPCs completed on the server, regardless of success or failure.', labelNames: [...labelNames, 'grpc_code'], registers });
    this.#received = new Counter({ name: 'grpc_server_msg_received_total', help: 'Total number of RPC stream messages received on the server.', labelNames, registers });
    this.#sent = new Counter({ name: 'grpc_server_msg_sent_total', help: 'Total number of gRPC stream messages sent by the server.', labelNames, registers });
    this.#handling = new Histogram({
      name: 'grpc_server_handling_seconds',
      help: 'Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.',
      labelNames,
      buckets: [0.01, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });

    if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  }

  hello(clientVersionLabel: string): void {
    let label = clientVersionLabel;
    if (!this.#helloLabels.has(label)) {
      if (this.#helloLabels.size >= MAX_CLIENT_VERSION_LABELS) label = 'unknown';
      else this.#helloLabels.add(label);
    }
    this.#hello.inc({ client_version: label });
  }

  gc(removed: { affiliates: number; clusters: number }): void {
    this.#gcRuns.inc();
    this.#gcAffiliates.inc(removed.affiliates);
    this.#gcClusters.inc(removed.clusters);
  }

  storage(operation: StorageOperation, figures: StorageOperationFigures | Error): void {
    if (this.#storageOps === undefined || this.#storageGauges === undefined) return;
    if (figures instanceof Error) {
      this.#storageOps.inc({ operation, status: 'error' });
      return;
    }
    this.#storageOps.inc({ operation, status: 'success' });
    const g = this.#storageGauges;
    g.size.set({ operation }, figures.sizeBytes);
    g.clusters.set({ operation }, figures.clusters);
    g.affiliates.set({ operation }, figures.affiliates);
    g.endpoints.set({ operation }, figures.endpoints);
    g.duration.set({ operation }, figures.durationSeconds);
  }

  /** Starts the gRPC metrics of one call; the returned function records its end with the status. */
  rpcStarted(type: GrpcType, service: string, method: string): { received(): void; sent(): void; handled(code: status): void } {
    const labels = { grpc_type: type, grpc_service: service, grpc_method: method };
    this.#started.inc(labels);
    const end = this.#handling.startTimer(labels);
    let done = false;
    return {
      received: () => this.#received.inc(labels),
      sent: () => this.#sent.inc(labels),
      handled: (code) => {
        if (done) return;
        done = true;
        end();
        this.#handled.inc({ ...labels, grpc_code: GO_CODE_NAMES[code] ?? 'Unknown' });
      },
    };
  }
}
