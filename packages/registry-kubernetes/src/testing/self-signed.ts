// Test helper: a throwaway self-signed certificate for 127.0.0.1, made with the openssl CLI.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SelfSignedCertificate {
  /** PEM certificate; it is its own CA. */
  readonly cert: string;
  /** PEM private key (P-256). */
  readonly key: string;
}

/** A one-day P-256 certificate for `127.0.0.1` and `localhost`; the temp dir is gone when this resolves. */
export async function selfSignedCertificate(signal?: AbortSignal): Promise<SelfSignedCertificate> {
  const dir = await mkdtemp(join(tmpdir(), 'cosi-kube-cert-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    await run(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=cosi-ts test kube-apiserver',
        '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-addext', 'basicConstraints=critical,CA:TRUE',
      ],
      { timeout: 20_000, ...(signal ? { signal } : {}) },
    );
    return { cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
