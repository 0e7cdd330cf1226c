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
      snapshots: { path: '/var/discovery-service/state.snapshot', intervalMs: 600_000 },
      trustXRealIp: false,
      trustFirstXForwardedFor: false,
    });
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

  it('refuses a certificate without a key, bad durations and unknown flags', () => {
    expect(() => parseCommandLine(['--certificate-path', 'c.pem'], quiet())).toThrow(/together/);
    expect(() => parseCommandLine(['--gc-interval', '5 minutes'], quiet())).toThrow(/invalid duration/);
    // A zero interval would be a busy loop; past ~24 days Node timers fire at once.
    expect(() => parseCommandLine(['--gc-interval', '0s'], quiet())).toThrow(/between 1ms and 596h/);
    expect(() => parseCommandLine(['--snapshot-interval', '1000h'], quiet())).toThrow(/between 1ms and 596h/);
    expect(() => parseCommandLine(['--nope'], quiet())).toThrow(/unknown option/);
  });
});
