// Test helper: a small Kubernetes API server speaking the real HTTP protocol for Nodes, so tests
// drive @kubernetes/client-node and kubectl unmodified. Not for production use.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCertificate } from './self-signed.ts';

/** A Node as the server stores it: plain JSON, the shape the API returns. */
export interface TestNode {
  apiVersion: 'v1';
  kind: 'Node';
  metadata: {
    name: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  status?: {
    addresses?: { type: string; address: string }[];
    nodeInfo?: { osImage?: string };
  };
}

/** What a test gives to `addNode`: a name and whatever metadata/status it cares about. */
export interface NodeInput {
  readonly name: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly hostname?: string;
  readonly osImage?: string;
}

export interface KubeApiServerOptions {
  /** Bearer token every request must carry (401 otherwise). Default: a random one. */
  readonly token?: string;
  /** Largest request body accepted (413 above). Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** Most concurrent watch streams (429 above). Default 64. */
  readonly maxWatches?: number;
}

type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface HistoryEvent {
  readonly rv: number;
  readonly type: WatchEventType;
  readonly object: TestNode;
}

export interface KubeApiServer {
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
  /** The bearer token requests must carry now. */
  readonly token: string;
  /** PEM of the self-signed certificate (also the CA). */
  readonly caPem: string;
  /** A kubeconfig file (CA, token) pointing at this server; removed by `close()`. */
  readonly kubeconfigPath: string;
  /** Requests seen so far, as `METHOD path?query`. */
  readonly requests: readonly string[];
  /** Watch streams currently open. */
  openWatches(): number;
  /** Watch streams opened so far. */
  watchesStarted(): number;
  /** The current resourceVersion (one counter for the whole server, as etcd's revision). */
  resourceVersion(): number;
  addNode(input: NodeInput): TestNode;
  getNode(name: string): TestNode | undefined;
  deleteNode(name: string): void;
  /** Applies a JSON merge patch to a Node as if a client had sent it. */
  patchNode(name: string, patch: unknown): TestNode;
  /** 403 on every list and watch of Nodes (what `AuthorizeNodeWithSelectors` does to a kubelet). */
  setForbidden(on: boolean): void;
  /** Holds every Node list request unanswered while on (a hung API server). */
  setStalled(on: boolean): void;
  /** Replaces the token (the old one gets 401 from now on) and rewrites the kubeconfig file with the new one. */
  rotateToken(): Promise<string>;
  /** List requests being held by `setStalled` whose clients have not gone away. */
  heldRequests(): number;
  /**
   * Moves the resourceVersion on (as an unrelated write would) and forgets the history: a watch
   * from any earlier version gets 410 Gone; clients must relist.
   */
  compact(): void;
  /** Ends every open watch stream, as an API server restart or a load balancer would. */
  dropWatches(): void;
  close(): Promise<void>;
}

const status = (code: number, reason: string, message: string, details?: Record<string, unknown>) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message,
  reason,
  ...(details === undefined ? {} : { details }),
  code,
});

const NODE_RESOURCE = {
  name: 'nodes',
  singularName: 'node',
  namespaced: false,
  kind: 'Node',
  verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  shortNames: ['no'],
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RFC 7386 JSON merge patch. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

/** Starts the server on 127.0.0.1 with a fresh self-signed certificate and a kubeconfig for it. */
export async function startKubeApiServer(opts: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  let token = opts.token ?? `test-${Math.random().toString(36).slice(2)}`;
  const maxBody = opts.maxBodyBytes ?? 1 << 20;
  const maxWatches = opts.maxWatches ?? 64;
  const { cert, key } = await selfSignedCertificate();

  const nodes = new Map<string, TestNode>();
  let history: HistoryEvent[] = [];
  /** Oldest resourceVersion a watch may start from; older → 410 Gone. */
  let oldestRv = 0;
  let rv = 0;
  let forbidden = false;
  let stalled = false;
  const held = new Set<ServerResponse>();
  let started = 0;
  let uid = 0;
  const requests: string[] = [];
  const watches = new Set<{ res: ServerResponse; send: (e: HistoryEvent) => void }>();

  const record = (type: WatchEventType, object: TestNode): void => {
    const e = { rv, type, object: structuredClone(object) };
    history.push(e);
    for (const w of watches) w.send(e);
  };

  const send = (res: ServerResponse, code: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };

  const readBody = (req: IncomingMessage): Promise<string | undefined> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBody) {
          resolve(undefined);
          req.destroy();
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  const startWatch = (res: ServerResponse, fromText: string | null): void => {
    if (watches.size >= maxWatches) {
      send(res, 429, status(429, 'TooManyRequests', 'too many watches'));
      return;
    }
    started++;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    // client-node's watch resolves only once the headers are in: send them before any event.
    res.flushHeaders();
    const write = (type: string, object: unknown): void => {
      if (res.writableEnded || res.destroyed) return;
      res.write(`${JSON.stringify({ type, object })}\n`);
    };
    const from = fromText === null || fromText === '' ? 0 : Number(fromText);
    if (!Number.isInteger(from) || from < 0) {
      write('ERROR', status(400, 'BadRequest', `invalid resourceVersion ${JSON.stringify(fromText)}`));
      res.end();
      return;
    }
    if (from === 0) {
      // "Any" version: a synthetic ADDED per current object, as the real server does.
      for (const n of nodes.values()) write('ADDED', n);
    } else if (from < oldestRv) {
      // The real server answers 200 and then an ERROR event carrying 410 Gone.
      write('ERROR', status(410, 'Expired', `too old resource version: ${from} (${oldestRv})`));
      res.end();
      return;
    } else {
      for (const e of history) if (e.rv > from) write(e.type, e.object);
    }
    const w = { res, send: (e: HistoryEvent) => write(e.type, e.object) };
    watches.add(w);
    res.on('close', () => watches.delete(w));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const method = req.method ?? 'GET';
    requests.push(`${method} ${url.pathname}${url.search}`);
    if (req.headers.authorization !== `Bearer ${token}`) {
      send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    const path = url.pathname.replace(/\/+$/, '');
    if (method === 'GET' && path === '/version') {
      send(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.0', platform: 'linux/amd64' });
      return;
    }
    if (method === 'GET' && path === '/api') {
      send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: req.headers.host ?? '' }] });
      return;
    }
    if (method === 'GET' && path === '/api/v1') {
      send(res, 200, { kind: 'APIResourceList', groupVersion: 'v1', resources: [NODE_RESOURCE] });
      return;
    }
    if (method === 'GET' && path === '/apis') {
      send(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
      return;
    }
    if (path === '/api/v1/nodes' && method === 'GET') {
      if (forbidden) {
        const verb = url.searchParams.get('watch') === 'true' ? 'watch' : 'list';
        send(res, 403, status(403, 'Forbidden', `nodes is forbidden: User "system:node:test" cannot ${verb} resource "nodes" in API group "" at the cluster scope`, { kind: 'nodes' }));
        return;
      }
      if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') {
        startWatch(res, url.searchParams.get('resourceVersion'));
        return;
      }
      if (stalled) {
        held.add(res);
        res.on('close', () => held.delete(res));
        return;
      }
      send(res, 200, { kind: 'NodeList', apiVersion: 'v1', metadata: { resourceVersion: String(rv) }, items: [...nodes.values()] });
      return;
    }
    const m = /^\/api\/v1\/nodes\/([^/]+)$/.exec(path);
    if (m !== null) {
      const name = decodeURIComponent(m[1] ?? '');
      const node = nodes.get(name);
      if (node === undefined) {
        send(res, 404, status(404, 'NotFound', `nodes "${name}" not found`, { name, kind: 'nodes' }));
        return;
      }
      if (method === 'GET') {
        send(res, 200, node);
        return;
      }
      if (method === 'PATCH') {
        const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim();
        if (type !== 'application/merge-patch+json') {
          send(res, 415, status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json (got ${JSON.stringify(type)})`));
          return;
        }
        const body = await readBody(req);
        if (body === undefined) {
          send(res, 413, status(413, 'RequestEntityTooLarge', 'request entity too large'));
          return;
        }
        let patch: unknown;
        try {
          patch = JSON.parse(body);
        } catch {
          send(res, 400, status(400, 'BadRequest', 'the patch is not valid JSON'));
          return;
        }
        send(res, 200, server.patchNode(name, patch));
        return;
      }
      send(res, 405, status(405, 'MethodNotAllowed', `${method} is not supported here`));
      return;
    }
    send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
  };

  const https: Server = createServer({ cert, key }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, status(500, 'InternalError', String(e)));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    https.once('error', reject);
    https.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (https.address() as AddressInfo).port;
  const url = `https://127.0.0.1:${port}`;

  const dir = await mkdtemp(join(tmpdir(), 'cosi-kube-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  const writeKubeconfig = (): Promise<void> =>
    writeFile(
      kubeconfigPath,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: test',
        '  cluster:',
        `    server: ${url}`,
        `    certificate-authority-data: ${Buffer.from(cert).toString('base64')}`,
        'users:',
        '- name: test',
        '  user:',
        `    token: ${token}`,
        'contexts:',
        '- name: test',
        '  context: { cluster: test, user: test }',
        'current-context: test',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
  await writeKubeconfig();

  const server: KubeApiServer = {
    url,
    get token() {
      return token;
    },
    caPem: cert,
    kubeconfigPath,
    requests,
    openWatches: () => watches.size,
    watchesStarted: () => started,
    resourceVersion: () => rv,
    addNode(input) {
      if (nodes.has(input.name)) throw new Error(`node ${input.name} exists`);
      rv++;
      const node: TestNode = {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: input.name,
          uid: `00000000-0000-4000-8000-${String(++uid).padStart(12, '0')}`,
          resourceVersion: String(rv),
          creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          ...(input.labels ? { labels: { ...input.labels } } : {}),
          ...(input.annotations ? { annotations: { ...input.annotations } } : {}),
        },
        status: {
          addresses: input.hostname === undefined ? [] : [{ type: 'Hostname', address: input.hostname }],
          nodeInfo: { osImage: input.osImage ?? '' },
        },
      };
      nodes.set(input.name, node);
      record('ADDED', node);
      return structuredClone(node);
    },
    getNode: (name) => {
      const n = nodes.get(name);
      return n === undefined ? undefined : structuredClone(n);
    },
    deleteNode(name) {
      const node = nodes.get(name);
      if (node === undefined) throw new Error(`no node ${name}`);
      nodes.delete(name);
      rv++;
      record('DELETED', { ...node, metadata: { ...node.metadata, resourceVersion: String(rv) } });
    },
    patchNode(name, patch) {
      const node = nodes.get(name);
      if (node === undefined) throw new Error(`no node ${name}`);
      const next = applyMergePatch(node, patch) as TestNode;
      // Identity fields are the server's, whatever the patch says.
      next.metadata = { ...next.metadata, name: node.metadata.name, uid: node.metadata.uid, creationTimestamp: node.metadata.creationTimestamp };
      if (next.metadata.annotations !== undefined && Object.keys(next.metadata.annotations).length === 0) delete next.metadata.annotations;
      const { resourceVersion: _a, ...before } = node.metadata;
      const { resourceVersion: _b, ...after } = next.metadata;
      // A patch that changes nothing keeps the version and sends no event, as the real server does.
      if (JSON.stringify({ ...node, metadata: before }) === JSON.stringify({ ...next, metadata: after })) return structuredClone(node);
      rv++;
      next.metadata.resourceVersion = String(rv);
      nodes.set(name, next);
      record('MODIFIED', next);
      return structuredClone(next);
    },
    setForbidden(on) {
      forbidden = on;
    },
    setStalled(on) {
      stalled = on;
    },
    heldRequests: () => held.size,
    async rotateToken() {
      token = `test-${Math.random().toString(36).slice(2)}`;
      await writeKubeconfig();
      return token;
    },
    compact() {
      rv++;
      history = [];
      oldestRv = rv;
    },
    dropWatches() {
      for (const w of watches) {
        watches.delete(w);
        w.res.end();
      }
    },
    async close() {
      for (const w of watches) w.res.destroy();
      for (const r of held) r.destroy();
      https.closeAllConnections();
      await new Promise<void>((resolve) => https.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
  return server;
}
