import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defineResourceType } from '@cosi-ts/resource';
import { InMemoryState } from '@cosi-ts/state';
import { RemoteState } from './remote-state.ts';
import { StateServer } from './state-server.ts';

const Thing = defineResourceType<{ v: number }>({ type: 'Things.test.cosi.dev', defaultNamespace: 'test' });
const dir = mkdtempSync(join(tmpdir(), 'api-tls-'));
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

describe('TLS (spec §5)', () => {
  it('serves TLS to a client pinning the CA, and applies a changed certificate to new connections', async () => {
    const a = makePair('a');
    const b = makePair('b');
    const live = { cert: join(dir, 'live.crt'), key: join(dir, 'live.key') };
    copyFileSync(a.cert, live.cert);
    copyFileSync(a.key, live.key);
    const state = new InMemoryState();
    await state.create(Thing.create('x', { v: 1 }));
    const server = new StateServer(state, { tls: { certificatePath: live.cert, keyPath: live.key, pollIntervalMs: 50 } });
    const { port } = await server.listen('127.0.0.1:0');
    const opened: RemoteState[] = [];
    const client = (ca: string) => {
      const r = new RemoteState(`127.0.0.1:${port}`, { caCertificate: readFileSync(ca), callTimeoutMs: 3000 });
      opened.push(r);
      return r;
    };
    try {
      expect((await client(a.cert).get(Thing.pointer('x'))).spec).toEqual({ v: 1 });
      // A client trusting another CA is refused.
      await expect(client(b.cert).get(Thing.pointer('x'))).rejects.toThrow();
      copyFileSync(b.cert, live.cert);
      copyFileSync(b.key, live.key);
      for (const deadline = Date.now() + 20_000; ; ) {
        const ok = await client(b.cert).get(Thing.pointer('x')).then(() => true, () => false);
        if (ok) break;
        if (Date.now() > deadline) throw new Error('the new certificate was not applied');
        await new Promise((r) => setTimeout(r, 100));
      }
      await expect(client(a.cert).get(Thing.pointer('x'))).rejects.toThrow();
    } finally {
      for (const r of opened) await r.close();
      await server.close();
    }
  });
});
