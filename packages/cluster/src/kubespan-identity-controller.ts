import { createHash } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { checkOptions, knownOptions } from '@cosi-ts/resource';
import type { Controller, ControllerContext, Input, Output } from '@cosi-ts/runtime';
import { destroyIfPresent, getOptional, writeSpec } from './controller-helpers.ts';
import { kubeSpanAddress, parseMac } from './kubespan-address.ts';
import { KubeSpanIdentity, KUBESPAN_IDENTITY_ID } from './kubespan-identity.ts';
import { loadOrCreateWireGuardKey, type WireGuardKeyPair } from './kubespan-key.ts';
import { MachineConfig, MACHINE_CONFIG_ID } from './machine-config.ts';
import { kubeSpanSectionOf, type NodeConfig } from './node-config.ts';

const OPTIONS = knownOptions('stateDir', 'macAddress');

export interface KubeSpanIdentityOptions {
  /** The STATE directory; the WireGuard key is kept in `kubespan-identity.yaml` there. */
  readonly stateDir: string;
  /** The MAC the address's interface ID derives from; default the first non-loopback interface's. */
  readonly macAddress?: () => Uint8Array | undefined;
}

function firstMac(): Uint8Array | undefined {
  for (const infos of Object.values(networkInterfaces())) {
    for (const info of infos ?? []) {
      const mac = info.internal ? undefined : parseMac(info.mac);
      if (mac !== undefined) return mac;
    }
  }
  return undefined;
}

/** A stable locally administered MAC from the public key, for hosts without one. */
function macFromKey(publicKey: string): Uint8Array {
  const h = createHash('sha256').update(publicKey).digest();
  return Uint8Array.of((h[0]! & 0xfe) | 0x02, h[1]!, h[2]!, h[3]!, h[4]!, h[5]!);
}

/**
 * `kubespan/KubeSpanIdentities/local` while KubeSpan is enabled: the public half of an X25519
 * (WireGuard) key pair generated once and kept in the state dir, and Talos' KubeSpan address
 * (the cluster's ULA /64 + EUI-64 of the MAC).
 */
export class KubeSpanIdentityController implements Controller {
  readonly name = 'cluster.KubeSpanIdentityController';
  readonly inputs: readonly Input[] = [{ namespace: MachineConfig.defaultNamespace, type: MachineConfig, id: MACHINE_CONFIG_ID, kind: 'weak' }];
  readonly outputs: readonly Output[] = [{ type: KubeSpanIdentity, kind: 'exclusive' }];
  private readonly stateDir: string;
  private readonly macAddress: () => Uint8Array | undefined;
  private key: WireGuardKeyPair | undefined;

  constructor(opts: KubeSpanIdentityOptions) {
    checkOptions('KubeSpanIdentityController', opts, OPTIONS);
    this.stateDir = opts.stateDir;
    this.macAddress = opts.macAddress ?? firstMac;
  }

  async run(ctx: ControllerContext): Promise<void> {
    for await (const _ of ctx.events()) {
      const cfg = (await getOptional<NodeConfig>(ctx, MachineConfig.pointer(MACHINE_CONFIG_ID)))?.spec;
      if (cfg === undefined || kubeSpanSectionOf(cfg)?.enabled !== true) {
        await destroyIfPresent(ctx, KubeSpanIdentity.pointer(KUBESPAN_IDENTITY_ID));
        continue;
      }
      // Loaded once per process: the key never changes under a running node.
      this.key ??= await loadOrCreateWireGuardKey(this.stateDir);
      const mac = this.macAddress() ?? macFromKey(this.key.publicKey);
      await writeSpec(ctx, KubeSpanIdentity, KUBESPAN_IDENTITY_ID, {
        address: kubeSpanAddress(cfg.cluster?.id ?? '', mac),
        publicKey: this.key.publicKey,
      });
    }
  }
}
