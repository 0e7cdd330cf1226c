import { describe, expect, it } from 'vitest';
import { buildCommand, parseCommandLine } from './command-line.ts';

function quiet(): ReturnType<typeof buildCommand> {
  return buildCommand().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
}

describe('discovery-service command line', () => {
  it('has the defaults of the Go server, proxy headers off', () => {
    expect(parseCommandLine([], quiet())).toEqual({
      addr: ':3000',
      landingAddr: ':3001',
      metricsAddr: ':2122',
      gcIntervalMs: 60_000,
      snapshots: { path: '/var/discovery-service/state.snapshot', intervalMs: 600_000, discardUndecryptable: false },
      trustXRealIp: false,
      trustFirstXForwardedFor: false,
      watchLimits: { maxPerIp: 1024, maxTotal: 100_000, maxBacklogBytesPerIp: 64 * 1024 * 1024, maxBacklogBytes: 1024 * 1024 * 1024, stallTimeoutMs: 120_000 },
      transport: { maxConnectionsPerIp: 2048, maxConnections: 200_000, maxConcurrentStreams: 1024, maxConnectionIdleMs: 300_000 },
    });
  });

  it('takes the Watch and transport bounds', () => {
    const o = parseCommandLine(
      ['--max-watches-per-ip', '5', '--max-watches=50', '--max-watch-backlog-per-ip', '1000', '--max-watch-backlog', '9000', '--watch-stall-timeout', '30s', '--max-concurrent-streams', '64', '--max-connection-idle', '1h', '--max-connections-per-ip', '7', '--max-connections', '70'],
      quiet(),
    );
    expect(o.watchLimits).toEqual({ maxPerIp: 5, maxTotal: 50, maxBacklogBytesPerIp: 1000, maxBacklogBytes: 9000, stallTimeoutMs: 30_000 });
    expect(o.transport).toEqual({ maxConnectionsPerIp: 7, maxConnections: 70, maxConcurrentStreams: 64, maxConnectionIdleMs: 3_600_000 });
    expect(() => parseCommandLine(['--max-watches-per-ip', '0'], quiet())).toThrow(/positive integer/);
    expect(() => parseCommandLine(['--max-watches', '1e3'], quiet())).toThrow(/positive integer/);
  });

  it('takes Go-style durations and booleans', () => {
    const o = parseCommandLine(
      ['--gc-interval', '90s', '--snapshot-interval=1h30m', '--snapshots-enabled=false', '--trust-x-real-ip', '--trust-first-x-forwarded-for=true', '--landing-addr', ''],
      quiet(),
    );
    expect(o).toMatchObject({ gcIntervalMs: 90_000, trustXRealIp: true, trustFirstXForwardedFor: true, landingAddr: '' });
    expect(o.snapshots).toBeUndefined();
  });

  it('passes TLS, redirect and key file through', () => {
    const o = parseCommandLine(['--certificate-path', 'c.pem', '--key-path', 'k.pem', '--redirect-endpoint', 'b:3000', '--snapshot-path', '/s', '--snapshot-key-file', '/k'], quiet());
    expect(o).toMatchObject({ certificatePath: 'c.pem', keyPath: 'k.pem', redirectEndpoint: 'b:3000', snapshots: { path: '/s', keyFile: '/k' } });
  });

  it('starts past an undecryptable snapshot only when told to, and says so in --help', () => {
    expect(parseCommandLine(['--snapshot-discard-undecryptable'], quiet()).snapshots?.discardUndecryptable).toBe(true);
    expect(parseCommandLine(['--snapshot-discard-undecryptable=false'], quiet()).snapshots?.discardUndecryptable).toBe(false);
    expect(buildCommand().helpInformation()).toMatch(/--snapshot-discard-undecryptable \[bool\]\s+start even if the key cannot decrypt the snapshot/);
  });

  it('refuses a certificate without a key, bad durations and unknown flags', () => {
    expect(() => parseCommandLine(['--certificate-path', 'c.pem'], quiet())).toThrow(/together/);
    expect(() => parseCommandLine(['--gc-interval', '5 minutes'], quiet())).toThrow(/invalid duration/);
    // A zero interval would be a busy loop; past ~24 days Node timers fire at once.
    expect(() => parseCommandLine(['--gc-interval', '0s'], quiet())).toThrow(/between 1ms and 596h/);
    expect(() => parseCommandLine(['--snapshot-interval', '1000h'], quiet())).toThrow(/between 1ms and 596h/);
    expect(() => parseCommandLine(['--nope'], quiet())).toThrow(/unknown option/);
  });
});
