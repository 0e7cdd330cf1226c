import { describe, it, expect } from 'vitest';
import { diffieHellman, createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateWireGuardKeyPair, loadOrCreateWireGuardKey, KubeSpanKeyError, KUBESPAN_KEY_FILE, wireGuardPublicKey } from './kubespan-key.ts';
import { kubeSpanAddress, kubeSpanPrefix, parseMac } from './kubespan-address.ts';

const PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI = Buffer.from('302a300506032b656e032100', 'hex');

describe('WireGuard keys', () => {
  it('derives public keys as WireGuard does (X25519 base point multiplication)', () => {
    const a = generateWireGuardKeyPair();
    const b = generateWireGuardKeyPair();
    expect(Buffer.from(a.privateKey, 'base64')).toHaveLength(32);
    expect(wireGuardPublicKey(a.privateKey)).toBe(a.publicKey);
    // A shared secret computed from either side agrees: the keys are a real X25519 pair.
    const priv = (k: string) => createPrivateKey({ key: Buffer.concat([PKCS8, Buffer.from(k, 'base64')]), format: 'der', type: 'pkcs8' });
    const pub = (k: string) => createPublicKey({ key: Buffer.concat([SPKI, Buffer.from(k, 'base64')]), format: 'der', type: 'spki' });
    expect(diffieHellman({ privateKey: priv(a.privateKey), publicKey: pub(b.publicKey) })).toEqual(
      diffieHellman({ privateKey: priv(b.privateKey), publicKey: pub(a.publicKey) }),
    );
  });

  it('matches the RFC 7748 X25519 test vector', () => {
    const alicePrivate = Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex').toString('base64');
    expect(Buffer.from(wireGuardPublicKey(alicePrivate), 'base64').toString('hex')).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
  });

  it('keeps the key in the state dir and refuses to replace a bad file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cosi-wg-'));
    try {
      const first = await loadOrCreateWireGuardKey(dir);
      expect(await loadOrCreateWireGuardKey(dir)).toEqual(first);
      await writeFile(join(dir, KUBESPAN_KEY_FILE), 'privateKey: short\n');
      await expect(loadOrCreateWireGuardKey(dir)).rejects.toBeInstanceOf(KubeSpanKeyError);
      await expect(loadOrCreateWireGuardKey(dir)).rejects.toThrow(join(dir, KUBESPAN_KEY_FILE));
      for (const bad of ['', `privateKey: ${first.privateKey.slice(0, 20)}!!${first.privateKey.slice(20)}\n`]) {
        await writeFile(join(dir, KUBESPAN_KEY_FILE), bad);
        await expect(loadOrCreateWireGuardKey(dir)).rejects.toBeInstanceOf(KubeSpanKeyError);
        expect(await readFile(join(dir, KUBESPAN_KEY_FILE), 'utf8')).toBe(bad);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('KubeSpan address', () => {
  it('is the cluster ULA /64 (fd, hash bytes, purpose 02) with the EUI-64 of the MAC', () => {
    const prefix = kubeSpanPrefix('cluster1');
    expect(prefix[0]).toBe(0xfd);
    expect(prefix[7]).toBe(0x02);
    expect(prefix.subarray(8)).toEqual(new Uint8Array(8));
    const addr = kubeSpanAddress('cluster1', parseMac('52:54:00:12:34:56')!);
    expect(addr.endsWith(':5054:ff:fe12:3456/128')).toBe(true);
    expect(kubeSpanAddress('cluster2', parseMac('52:54:00:12:34:56')!)).not.toBe(addr);
    expect(parseMac('00:00:00:00:00:00')).toBeUndefined();
    expect(parseMac('nonsense')).toBeUndefined();
  });
});
