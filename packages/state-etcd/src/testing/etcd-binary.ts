import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** How to get the binary, printed when it is missing. */
export const ETCD_INSTALL_HINT = 'apt-get install -y etcd-server (Debian/Ubuntu), or put an etcd 3.4+ binary on PATH';

/** The etcd binary: `$ETCD_BIN`, else the first `etcd` on PATH; undefined when there is none. */
export function findEtcdBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = env['ETCD_BIN'] ? [env['ETCD_BIN']] : (env['PATH'] ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'etcd'));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here
    }
  }
  return undefined;
}

let told = false;

/**
 * For test files: the etcd binary, or undefined after printing one line on how to install it (the
 * caller skips its etcd tests). With `CI=true` a missing binary throws instead: CI must run them.
 */
export function etcdForTests(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const bin = findEtcdBinary(env);
  if (bin !== undefined) return bin;
  if (env['CI'] === 'true') throw new Error(`etcd tests are required in CI (CI=true) but no etcd binary was found: ${ETCD_INSTALL_HINT}`);
  if (!told) {
    told = true;
    process.stdout.write(`skipping etcd tests: no etcd binary found; install it with: ${ETCD_INSTALL_HINT}\n`);
  }
  return undefined;
}
