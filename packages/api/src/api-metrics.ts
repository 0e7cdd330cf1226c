import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The resource API's metrics, registered on the given Registry (never prom-client's global one). */
export class ApiMetrics {
  readonly calls: Counter<'method' | 'code'>;
  readonly latency: Histogram<'method'>;
  readonly openWatches: Gauge;
  readonly eventsSent: Counter;

  constructor(registry: Registry = new Registry()) {
    this.calls = new Counter({
      name: 'cosi_api_calls_total',
      help: 'Resource API calls by method and gRPC status code',
      labelNames: ['method', 'code'],
      registers: [registry],
    });
    this.latency = new Histogram({
      name: 'cosi_api_call_duration_seconds',
      help: 'Resource API call latency (unary calls and List; Watch until its first message)',
      labelNames: ['method'],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    });
    this.openWatches = new Gauge({ name: 'cosi_api_open_watches', help: 'Watch streams currently open', registers: [registry] });
    this.eventsSent = new Counter({ name: 'cosi_api_watch_events_sent_total', help: 'Events sent on Watch streams', registers: [registry] });
  }
}
