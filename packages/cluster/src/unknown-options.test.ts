import { describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isUnknownOption } from '@cosi-ts/resource';
import { createFileExclusive } from './exclusive-file.ts';
import { HostnameSourceController } from './hostname-source-controller.ts';
import { KubeSpanIdentityController } from './kubespan-identity-controller.ts';
import { LocalAffiliateController } from './local-affiliate-controller.ts';
import { NodeAddressSourceController } from './node-address-source-controller.ts';

// Issue 17 §6: misspelled options of the cluster controllers are TypeErrors naming the option and the
// closest known one (a `pollInterval` used to leave the 10 s default in place, silently).

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('cluster: unknown options', () => {
  it.each([
    ['HostnameSourceController', () => new HostnameSourceController({ hostname: () => 'x' } as never), 'hostname', 'osHostname'],
    ['LocalAffiliateController', () => new LocalAffiliateController({ operatingSytem: 'x' } as never), 'operatingSytem', 'operatingSystem'],
    ['NodeAddressSourceController', () => new NodeAddressSourceController({ pollInterval: 5 } as never), 'pollInterval', 'pollIntervalMs'],
    ['KubeSpanIdentityController', () => new KubeSpanIdentityController({ stateDir: '/x', macAdress: () => undefined } as never), 'macAdress', 'macAddress'],
  ])('%s', (name, make, option, suggestion) => {
    const e = caught(make);
    expect(e).toBeInstanceOf(TypeError);
    expect(isUnknownOption(e)).toBe(true);
    expect(e).toMatchObject({ option, suggestion });
    expect((e as Error).message).toMatch(new RegExp(`^${name}: unknown option`));
  });

  it('createFileExclusive refuses before writing anything', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cosi-opts-'));
    try {
      const e = await createFileExclusive(join(dir, 'f'), 'x', { mod: 0o600 } as never).catch((x: unknown) => x);
      expect(e).toMatchObject({ option: 'mod', suggestion: 'mode' });
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
