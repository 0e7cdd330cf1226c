import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { ClusterStore } from './cluster-store.ts';

const STATS_MAX_AGE_MS = 60 * 60_000;

const LANDING_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Discovery service</title></head>
<body>
<h1>Discovery service</h1>
<p>This is a cluster node discovery service, wire-compatible with Sidero's discovery service used by Talos Linux.
Nodes of a cluster publish their addresses here, encrypted with a key only the cluster's members hold,
and watch each other's updates. The service stores only encrypted blobs and cannot read them.</p>
<p>gRPC service: <code>sidero.discovery.server.Cluster</code>.
Inspect a cluster's (encrypted) state at <code>/inspect?clusterID=&lt;id&gt;</code>.</p>
</body></html>
`;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function send(res: ServerResponse, code: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** `/`, `/inspect?clusterID=`, `/stats` and `/healthz` of spec §5.2. */
export function createLandingHandler(store: ClusterStore, now: () => number = Date.now): (req: IncomingMessage, res: ServerResponse) => void {
  let stats: { body: string; at: number } | undefined;
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { Allow: 'GET, HEAD' });
      return;
    }
    switch (url.pathname) {
      case '/':
        send(res, 200, 'text/html; charset=utf-8', LANDING_PAGE);
        return;
      case '/healthz':
        send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
        return;
      case '/stats': {
        const headers = { 'Access-Control-Allow-Origin': '*' };
        try {
          const t = now();
          if (stats === undefined || t - stats.at >= STATS_MAX_AGE_MS) {
            stats = { body: JSON.stringify({ affiliates: store.stats().affiliates }), at: t };
          }
          send(res, 200, 'application/json', stats.body, headers);
        } catch (e) {
          send(res, 500, 'application/json', JSON.stringify({ error: (e as Error).message }), headers);
        }
        return;
      }
      case '/inspect': {
        const clusterId = url.searchParams.get('clusterID') ?? '';
        const records = store.inspect(clusterId) ?? []; // inspect never creates a cluster
        const t = now();
        const rows = records
          .map((a) => {
            const endpoints = a.endpoints
              .map((blob, i) => `<li><code>${blob.toString('hex')}</code> (TTL ${Math.max(0, Math.round(((a.endpointExpiries[i] ?? t) - t) / 1000))} s)</li>`)
              .join('');
            const ttl = Math.max(0, Math.round((Math.max(a.touchExpiry, ...a.endpointExpiries) - t) / 1000));
            return `<tr><td>${escapeHtml(a.id)}</td><td><code>${a.data.toString('hex')}</code></td><td><ul>${endpoints}</ul></td><td>${ttl} s</td></tr>`;
          })
          .join('\n');
        send(
          res,
          200,
          'text/html; charset=utf-8',
          `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cluster ${escapeHtml(clusterId)}</title></head><body>
<h1>Cluster <code>${escapeHtml(clusterId)}</code></h1>
<p>${records.length} affiliate(s). Data and endpoints are encrypted by the cluster's members; shown as hex.</p>
<table border="1"><thead><tr><th>ID</th><th>Data</th><th>Endpoints</th><th>TTL</th></tr></thead><tbody>
${rows}
</tbody></table></body></html>
`,
        );
        return;
      }
      default:
        send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    }
  };
}

/** `GET /metrics` (and `/healthz`) for the metrics listener. */
export function createMetricsHandler(registry: Registry): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz') {
      send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
      return;
    }
    if (url.pathname !== '/metrics') {
      send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
      return;
    }
    registry.metrics().then(
      (body) => send(res, 200, registry.contentType, body),
      (e: unknown) => send(res, 500, 'text/plain; charset=utf-8', `${(e as Error).message}\n`),
    );
  };
}
