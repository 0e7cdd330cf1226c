import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { createFileExclusive } from './exclusive-file.ts';

export const KUBESPAN_KEY_FILE = 'kubespan-identity.yaml';

// PKCS#8 DER header of an X25519 private key; the 32 raw key bytes follow.
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

export interface WireGuardKeyPair {
  /** Base64 of 32 bytes, as `wg genkey`. */
  readonly privateKey: string;
  /** Base64 of 32 bytes, as `wg pubkey`. */
  readonly publicKey: string;
}

export class KubeSpanKeyError extends Error {
  readonly code = 'KubeSpanKeyInvalid';
  readonly path: string;
  constructor(path: string, detail: string, options?: { cause?: unknown }) {
    super(`KubeSpan key file ${path}: ${detail}`, options);
    this.name = 'KubeSpanKeyError';
    this.path = path;
  }
}

/** The public key of a base64 X25519 private key. */
export function wireGuardPublicKey(privateKey: string): string {
  const raw = Buffer.from(privateKey, 'base64');
  if (raw.length !== 32) throw new TypeError(`WireGuard private key must be base64 of 32 bytes (got ${raw.length})`);
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_X25519_PREFIX, raw]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return spki.subarray(spki.length - 32).toString('base64');
}

export function generateWireGuardKeyPair(): WireGuardKeyPair {
  const { privateKey } = generateKeyPairSync('x25519');
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  const priv = pkcs8.subarray(pkcs8.length - 32).toString('base64');
  return { privateKey: priv, publicKey: wireGuardPublicKey(priv) };
}

function parseKeyFile(path: string, content: string): WireGuardKeyPair {
  let doc: unknown;
  try {
    doc = parse(content);
  } catch (e) {
    throw new KubeSpanKeyError(path, 'not valid YAML', { cause: e });
  }
  const priv: unknown = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>)['privateKey'] : undefined;
  // Canonical base64 only: Buffer.from silently skips characters outside the alphabet.
  if (typeof priv !== 'string' || Buffer.from(priv, 'base64').length !== 32 || Buffer.from(priv, 'base64').toString('base64') !== priv) {
    throw new KubeSpanKeyError(path, 'privateKey must be base64 of 32 bytes');
  }
  return { privateKey: priv, publicKey: wireGuardPublicKey(priv) };
}

/**
 * The node's WireGuard key pair, kept in `<stateDir>/kubespan-identity.yaml` (0600, created once,
 * atomically). A present but unusable file is an error, never replaced: peers know the old key.
 */
export async function loadOrCreateWireGuardKey(stateDir: string): Promise<WireGuardKeyPair> {
  const path = join(stateDir, KUBESPAN_KEY_FILE);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  for (;;) {
    try {
      return parseKeyFile(path, await readFile(path, 'utf8'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        if (e instanceof KubeSpanKeyError) throw e;
        throw new KubeSpanKeyError(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { cause: e });
      }
    }
    const pair = generateWireGuardKeyPair();
    if ((await createFileExclusive(path, `privateKey: ${pair.privateKey}\n`)) === 'placed') return pair;
  }
}
