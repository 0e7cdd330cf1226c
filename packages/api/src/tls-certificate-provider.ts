import { ApiConfigError } from './api-errors.ts';
import type { experimental } from '@grpc/grpc-js';
import { readFileSync, statSync, type Stats } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { Logger } from 'pino';

type CertificateProvider = experimental.CertificateProvider;
type IdentityListener = experimental.IdentityCertificateUpdateListener;
type IdentityUpdate = experimental.IdentityCertificateUpdate;

/** A certificate/key pair that cannot be used: a start-up error (at reload it is only logged). */
export class TlsConfigError extends ApiConfigError {
  override readonly name = 'TlsConfigError';
}

function fingerprint(s: Stats): string {
  return `${s.ino}:${s.size}:${s.mtimeMs}`;
}

/**
 * Serves a certificate and key from files and reloads them when either changes (spec §5.1). A
 * changed pair applies to new connections; a pair that fails to load keeps the old one and logs.
 * Files are polled by stat, which also sees the rename-into-place that cert managers do.
 */
export class ReloadingCertificateProvider implements CertificateProvider {
  readonly #certPath: string;
  readonly #keyPath: string;
  readonly #logger: Logger;
  readonly #listeners = new Set<IdentityListener>();
  #current: IdentityUpdate;
  #seen: string;
  #timer: NodeJS.Timeout | undefined;

  /** Throws TlsConfigError when the initial pair cannot be read or does not match. */
  constructor(options: { certificatePath: string; keyPath: string; logger: Logger; pollIntervalMs?: number }) {
    this.#certPath = options.certificatePath;
    this.#keyPath = options.keyPath;
    this.#logger = options.logger;
    const first = this.#read();
    if (first instanceof Error) throw new TlsConfigError(first.message);
    this.#current = first.pair;
    this.#seen = first.seen;
    this.#timer = setInterval(() => this.#poll(), options.pollIntervalMs ?? 2000);
    this.#timer.unref();
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.#listeners.add(listener);
    process.nextTick(listener, this.#current);
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.#listeners.delete(listener);
  }

  addCaCertificateListener(): void {
    // Client certificates are not requested: no CA.
  }

  removeCaCertificateListener(): void {}

  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Checks the files now (the poll timer does this periodically). Returns whether a new pair applies. */
  reloadNow(): boolean {
    return this.#poll();
  }

  #read(): { pair: IdentityUpdate; seen: string } | Error {
    try {
      const seen = `${fingerprint(statSync(this.#certPath))}/${fingerprint(statSync(this.#keyPath))}`;
      const pair = { certificate: readFileSync(this.#certPath), privateKey: readFileSync(this.#keyPath) };
      createSecureContext({ cert: pair.certificate, key: pair.privateKey }); // throws on a mismatched or bad pair
      return { pair, seen };
    } catch (e) {
      return new Error(`TLS certificate ${this.#certPath} / key ${this.#keyPath}: ${(e as Error).message}`);
    }
  }

  #poll(): boolean {
    let seen: string;
    try {
      seen = `${fingerprint(statSync(this.#certPath))}/${fingerprint(statSync(this.#keyPath))}`;
    } catch {
      seen = 'missing';
    }
    if (seen === this.#seen) return false;
    this.#seen = seen;
    const next = this.#read();
    if (next instanceof Error) {
      this.#logger.error({ err: next.message }, 'TLS reload failed; keeping the previous certificate');
      return false;
    }
    this.#current = next.pair;
    this.#seen = next.seen;
    this.#logger.info({ certificatePath: this.#certPath }, 'TLS certificate reloaded');
    for (const l of this.#listeners) l(this.#current);
    return true;
  }
}
