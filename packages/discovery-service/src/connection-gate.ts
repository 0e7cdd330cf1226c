import { createServer, type Server as NetServer, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { ProblemLog } from './problem-log.ts';

export interface ConnectionLimits {
  /** Open TCP connections per remote address. */
  readonly maxPerIp: number;
  /** Open TCP connections in total. */
  readonly maxTotal: number;
}

/**
 * The gRPC port's TCP listener. grpc-js binds its own listener with no way to bound connections, so we
 * accept them here, count them per remote address and in total, drop those over a limit at once, and
 * hand the rest to grpc-js (its connection injector). The address counted is the transport peer: behind
 * a proxy that is the proxy.
 */
export class ConnectionGate {
  readonly #server: NetServer;
  readonly #limits: ConnectionLimits;
  readonly #perIp = new Map<string, number>();
  readonly #sockets = new Set<Socket>();
  /** By `address:port`, the form grpc-js's `call.getPeer()` reports for a TCP peer. */
  readonly #byPeer = new Map<string, Socket>();
  readonly #problems: ProblemLog;
  #closed: Promise<void> | undefined;

  constructor(limits: ConnectionLimits, accept: (socket: Socket) => void, logger: Logger) {
    this.#limits = limits;
    this.#problems = new ProblemLog(logger);
    this.#server = createServer({ noDelay: true }, (socket) => {
      const ip = socket.remoteAddress ?? '';
      const n = this.#perIp.get(ip) ?? 0;
      if (n >= limits.maxPerIp || this.#sockets.size >= limits.maxTotal) {
        const perIp = n >= limits.maxPerIp;
        this.#problems.warn(
          perIp ? 'too-many-connections-per-ip' : 'too-many-connections',
          { peer: ip, limit: perIp ? limits.maxPerIp : limits.maxTotal },
          perIp ? 'connection refused: too many connections from one IP' : 'connection refused: too many connections',
        );
        socket.destroy();
        return;
      }
      this.#perIp.set(ip, n + 1);
      this.#sockets.add(socket);
      const peer = `${ip}:${socket.remotePort ?? ''}`;
      this.#byPeer.set(peer, socket);
      socket.once('close', () => {
        this.#sockets.delete(socket);
        if (this.#byPeer.get(peer) === socket) this.#byPeer.delete(peer);
        const left = (this.#perIp.get(ip) ?? 1) - 1;
        if (left === 0) this.#perIp.delete(ip);
        else this.#perIp.set(ip, left);
      });
      accept(socket);
    });
    // A failed accept (EMFILE under a connection flood) is emitted on the server: without a listener
    // it would crash the process.
    this.#server.on('error', (err) => logger.error({ err }, 'gRPC listener error'));
  }

  get limits(): ConnectionLimits {
    return this.#limits;
  }

  get connections(): number {
    return this.#sockets.size;
  }

  /** Binds; resolves to the bound port. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.#server.once('error', onError);
      this.#server.listen({ host, port }, () => {
        this.#server.removeListener('error', onError);
        const a = this.#server.address();
        resolve(a !== null && typeof a === 'object' ? a.port : port);
      });
    });
  }

  /**
   * Stops accepting; open connections stay. Resolves once every connection accepted is closed (by
   * either side), which is when a graceful stop has delivered everything. Idempotent.
   */
  stopAccepting(): Promise<void> {
    // net.Server.close calls back only once every connection is gone.
    this.#closed ??= this.#server.listening ? new Promise((resolve) => this.#server.close(() => resolve())) : Promise.resolve();
    return this.#closed;
  }

  /**
   * Closes the TCP connection of a call's peer (`call.getPeer()`, `address:port` or `[v6]:port`) at
   * once, with every stream on it. grpc-js has no public way to reset one server stream, and a status
   * queued behind output the client never reads is never sent: closing the connection is how the
   * buffers of such a stream are freed. Returns false when no open connection has that peer.
   */
  closeConnection(peer: string): boolean {
    const socket = this.#byPeer.get(peer) ?? this.#byPeer.get(peer.replace(/^\[([^\]]*)\]:/, '$1:'));
    if (socket === undefined) return false;
    socket.destroy();
    return true;
  }

  /** Stops accepting and drops every connection still open. */
  async destroy(): Promise<void> {
    const closed = this.stopAccepting();
    for (const s of this.#sockets) s.destroy();
    await closed;
  }
}
