import { Command, InvalidArgumentError, Option } from 'commander';
import type { DiscoveryServiceOptions } from './discovery-service.ts';
import { parseGoDuration } from './duration.ts';
import { MAX_TIMER_MS } from './interval-error.ts';
import {
  DEFAULT_MAX_CONCURRENT_STREAMS,
  DEFAULT_MAX_CONNECTION_IDLE_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS_PER_IP,
  DEFAULT_MAX_WATCH_BACKLOG_BYTES,
  DEFAULT_MAX_WATCH_BACKLOG_BYTES_PER_IP,
  DEFAULT_MAX_WATCHES,
  DEFAULT_MAX_WATCHES_PER_IP,
  DEFAULT_WATCH_STALL_TIMEOUT_MS,
} from './limits.ts';

function bool(value: string | undefined): boolean {
  if (value === undefined || value === '' || value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new InvalidArgumentError(`"${value}" is not a boolean (true or false)`);
}

function duration(value: string): number {
  let ms: number;
  try {
    ms = parseGoDuration(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
  // A zero interval would run GC or snapshots in a busy loop; past ~24 days Node timers fire at once.
  if (!(ms >= 1 && ms <= MAX_TIMER_MS)) throw new InvalidArgumentError(`"${value}" must be between 1ms and 596h`);
  return ms;
}

function count(value: string): number {
  const n = /^[0-9]+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`"${value}" is not a positive integer`);
  return n;
}

interface Flags {
  addr: string;
  landingAddr: string;
  metricsAddr: string;
  certificatePath: string;
  keyPath: string;
  gcInterval: number;
  redirectEndpoint: string;
  snapshotsEnabled: boolean;
  snapshotPath: string;
  snapshotInterval: number;
  snapshotKeyFile: string;
  snapshotDiscardUndecryptable: boolean;
  trustXRealIp: boolean;
  trustFirstXForwardedFor: boolean;
  maxWatchesPerIp: number;
  maxWatches: number;
  maxWatchBacklogPerIp: number;
  maxWatchBacklog: number;
  watchStallTimeout: number;
  maxConcurrentStreams: number;
  maxConnectionIdle: number;
  maxConnectionsPerIp: number;
  maxConnections: number;
}

/**
 * The flags of the Go server with its defaults, except the two proxy-header flags (spec §5.1, R5).
 * Booleans take Go's forms: `--flag`, `--flag=true`, `--flag=false`.
 */
export function buildCommand(): Command {
  return new Command('discovery-service')
    .description('Open, wire-compatible discovery service for Talos-style cluster discovery')
    .option('--addr <host:port>', 'gRPC listen address (TLS when a certificate and key are set, else h2c)', ':3000')
    .option('--landing-addr <host:port>', 'landing page, /inspect, /stats and /healthz; "" disables', ':3001')
    .option('--metrics-addr <host:port>', 'Prometheus /metrics; "" disables', ':2122')
    .option('--certificate-path <path>', 'TLS certificate (PEM); reloaded when it changes', '')
    .option('--key-path <path>', 'TLS private key (PEM); reloaded when it changes', '')
    .addOption(new Option('--gc-interval <duration>', 'garbage collection interval (Go syntax: 90s, 1m)').default(60_000, '1m').argParser(duration))
    .option('--redirect-endpoint <host:port>', 'endpoint sent to clients in Hello to redirect them', '')
    .option('--snapshots-enabled [bool]', 'load and save state snapshots', bool, true)
    .option('--snapshot-path <path>', 'snapshot file', '/var/discovery-service/state.snapshot')
    .addOption(new Option('--snapshot-interval <duration>', 'interval between periodic snapshots').default(10 * 60_000, '10m').argParser(duration))
    .addOption(
      new Option('--snapshot-key-file <path>', 'AES-256 key of the snapshot: 32 bytes, raw or base64 (the default is created when missing and no snapshot exists)').default(
        '',
        '"<snapshot-path>.key"',
      ),
    )
    .option(
      '--snapshot-discard-undecryptable [bool]',
      'start even if the key cannot decrypt the snapshot (key file lost or replaced): the snapshot is renamed <file>.undecryptable-<unix seconds> and its state is not loaded. Without it the service refuses to start',
      bool,
      false,
    )
    .option('--trust-x-real-ip [bool]', 'take the client IP from X-Real-IP (only behind a proxy that sets it)', bool, false)
    .option('--trust-first-x-forwarded-for [bool]', 'take the client IP from the first X-Forwarded-For entry (only behind a proxy)', bool, false)
    // Bounds of our own (not in the Go server); docs/discovery-service.md explains the defaults.
    .addOption(new Option('--max-watches-per-ip <n>', 'open Watch streams per client IP').default(DEFAULT_MAX_WATCHES_PER_IP).argParser(count))
    .addOption(new Option('--max-watches <n>', 'open Watch streams in total').default(DEFAULT_MAX_WATCHES).argParser(count))
    .addOption(new Option('--max-watch-backlog-per-ip <bytes>', 'Watch bytes not yet taken by slow clients, per client IP').default(DEFAULT_MAX_WATCH_BACKLOG_BYTES_PER_IP).argParser(count))
    .addOption(new Option('--max-watch-backlog <bytes>', 'Watch bytes not yet taken by slow clients, in total').default(DEFAULT_MAX_WATCH_BACKLOG_BYTES).argParser(count))
    .addOption(new Option('--watch-stall-timeout <duration>', 'reset a Watch whose unsent output makes no progress for this long').default(DEFAULT_WATCH_STALL_TIMEOUT_MS, '2m').argParser(duration))
    .addOption(new Option('--max-connections-per-ip <n>', 'TCP connections to the gRPC port per remote address').default(DEFAULT_MAX_CONNECTIONS_PER_IP).argParser(count))
    .addOption(new Option('--max-connections <n>', 'TCP connections to the gRPC port in total').default(DEFAULT_MAX_CONNECTIONS).argParser(count))
    .addOption(new Option('--max-concurrent-streams <n>', 'HTTP/2 streams per connection').default(DEFAULT_MAX_CONCURRENT_STREAMS).argParser(count))
    .addOption(new Option('--max-connection-idle <duration>', 'close connections without any stream after this long').default(DEFAULT_MAX_CONNECTION_IDLE_MS, '5m').argParser(duration))
    .addHelpText('after', '\nEnvironment: LOG_LEVEL (trace, debug, info, warn, error; default info). Logs are JSON lines on stdout.')
    .showHelpAfterError()
    .allowExcessArguments(false);
}

/** Parses argv (without `node` and the script) into service options. Throws CommanderError on bad input. */
export function parseCommandLine(args: readonly string[], command: Command = buildCommand()): DiscoveryServiceOptions {
  command.exitOverride();
  command.parse([...args], { from: 'user' });
  const f = command.opts<Flags>();
  if ((f.certificatePath === '') !== (f.keyPath === '')) {
    throw new InvalidArgumentError('--certificate-path and --key-path must be given together');
  }
  return {
    addr: f.addr,
    landingAddr: f.landingAddr,
    metricsAddr: f.metricsAddr,
    ...(f.certificatePath === '' ? {} : { certificatePath: f.certificatePath, keyPath: f.keyPath }),
    gcIntervalMs: f.gcInterval,
    ...(f.redirectEndpoint === '' ? {} : { redirectEndpoint: f.redirectEndpoint }),
    ...(f.snapshotsEnabled
      ? {
          snapshots: {
            path: f.snapshotPath,
            intervalMs: f.snapshotInterval,
            ...(f.snapshotKeyFile === '' ? {} : { keyFile: f.snapshotKeyFile }),
            discardUndecryptable: f.snapshotDiscardUndecryptable,
          },
        }
      : {}),
    trustXRealIp: f.trustXRealIp,
    trustFirstXForwardedFor: f.trustFirstXForwardedFor,
    watchLimits: {
      maxPerIp: f.maxWatchesPerIp,
      maxTotal: f.maxWatches,
      maxBacklogBytesPerIp: f.maxWatchBacklogPerIp,
      maxBacklogBytes: f.maxWatchBacklog,
      stallTimeoutMs: f.watchStallTimeout,
    },
    transport: {
      maxConnectionsPerIp: f.maxConnectionsPerIp,
      maxConnections: f.maxConnections,
      maxConcurrentStreams: f.maxConcurrentStreams,
      maxConnectionIdleMs: f.maxConnectionIdle,
    },
  };
}
