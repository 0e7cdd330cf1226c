import { credentials } from '@grpc/grpc-js';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { DiscoveryService, TlsConfigError } from './index.ts';
import { TestClient, statusOf } from './test-harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'ds-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A self-signed certificate for 127.0.0.1, made now. */
function makePair(name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-keyout', key, '-out', cert, '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { stdio: 'ignore' });
  return { cert, key };
}

function clientTrusting(addr: string, certFile: string): TestClient {
  return new TestClient(addr, credentials.createSsl(readFileSync(certFile)));
}

describe('TLS', () => {
  it('serves TLS and applies a changed certificate to new connections; a bad one keeps the old', async () => {
    const a = makePair('a');
    const b = makePair('b');
    const live = { cert: join(dir, 'live.crt'), key: join(dir, 'live.key') };
    copyFileSync(a.cert, live.cert);
    copyFileSync(a.key, live.key);
    const logs: { msg: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => logs.push(JSON.parse(l) as { msg: string }) });
    const svc = new DiscoveryService({ addr: '127.0.0.1:0', certificatePath: live.cert, keyPath: live.key, tlsPollIntervalMs: 50, rateLimit: false, logger });
    const addr = await svc.start();
    try {
      const trustsA = clientTrusting(addr, a.cert);
      expect((await trustsA.hello({ clusterId: 'c' })).clientIp.toString('hex')).toBe('7f000001');
      trustsA.close();
      const plain = new TestClient(addr);
      expect((await statusOf(plain.hello({ clusterId: 'c' }, { deadlineMs: 2000 }))).code).not.toBe(0);
      plain.close();

      // A half-written pair (new cert, old key) must not replace the working one.
      copyFileSync(b.cert, live.cert);
      await expect.poll(() => logs.some((l) => l.msg === 'TLS reload failed; keeping the previous certificate'), { timeout: 5000 }).toBe(true);
      const stillA = clientTrusting(addr, a.cert);
      await stillA.hello({ clusterId: 'c' });
      stillA.close();

      copyFileSync(b.key, live.key);
      await expect.poll(() => logs.some((l) => l.msg === 'TLS certificate reloaded'), { timeout: 5000 }).toBe(true);
      const trustsB = clientTrusting(addr, b.cert);
      await trustsB.hello({ clusterId: 'c' });
      trustsB.close();
      const staleA = clientTrusting(addr, a.cert);
      expect((await statusOf(staleA.hello({ clusterId: 'c' }, { deadlineMs: 2000 }))).code).not.toBe(0);
      staleA.close();
    } finally {
      await svc.stop();
    }
  });

  it('refuses to start with a certificate but no key, or an unreadable pair', async () => {
    expect(() => new DiscoveryService({ certificatePath: 'x.crt' })).toThrow(TlsConfigError);
    writeFileSync(join(dir, 'junk.crt'), 'junk');
    const svc = new DiscoveryService({ addr: '127.0.0.1:0', certificatePath: join(dir, 'junk.crt'), keyPath: join(dir, 'junk.crt') });
    await expect(svc.start()).rejects.toThrow(TlsConfigError);
  });
});
