import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { checkOptions, knownOptions } from '@cosi-ts/resource';
import type { Controller, ControllerContext, Input, Output } from '@cosi-ts/runtime';
import { getOptional, writeSpec } from './controller-helpers.ts';
import { formatPrefix, parseIp, parsePrefix, prefixContains } from './ip.ts';
import { MachineConfig, MACHINE_CONFIG_ID } from './machine-config.ts';
import { NodeAddress, NODE_ADDRESS_CURRENT_NO_K8S, NODE_ADDRESS_ROUTED_NO_K8S } from './node-address.ts';
import type { NodeConfig } from './node-config.ts';

const OPTIONS = knownOptions('interfaces', 'pollIntervalMs');

export interface NodeAddressSourceOptions {
  /** The OS interfaces (default `os.networkInterfaces()`). */
  readonly interfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
  /** How often the OS interfaces are re-read; default 10 000 ms. */
  readonly pollIntervalMs?: number;
}

const LINK_LOCAL = [parsePrefix('169.254.0.0/16'), parsePrefix('fe80::/10')].filter((p) => p !== undefined);
const LOOPBACK = [parsePrefix('127.0.0.0/8'), parsePrefix('::1/128')].filter((p) => p !== undefined);

/** OS interface addresses as CIDRs, in OS order, without loopback and link-local ones. */
export function osNodeAddresses(ifaces: NodeJS.Dict<NetworkInterfaceInfo[]>): string[] {
  const out: string[] = [];
  for (const infos of Object.values(ifaces)) {
    for (const info of infos ?? []) {
      if (info.internal) continue;
      const prefix = parsePrefix(info.cidr ?? info.address);
      const ip = parseIp(info.address);
      if (prefix === undefined || ip === undefined) continue;
      if ([...LINK_LOCAL, ...LOOPBACK].some((p) => prefixContains(p, ip))) continue;
      const cidr = formatPrefix(prefix);
      if (!out.includes(cidr)) out.push(cidr);
    }
  }
  return out;
}

/** Static addresses of `machine.network.interfaces[*].addresses`, in file order. */
export function configuredNodeAddresses(cfg: NodeConfig | undefined): string[] {
  return (cfg?.machine?.network?.interfaces ?? []).flatMap((i) => i.addresses ?? []);
}

/**
 * `network/NodeAddresses/{current-no-k8s,routed-no-k8s}`: the static addresses of `node.yaml` when
 * it has any, else the OS interfaces' (polled); the same list for both.
 */
export class NodeAddressSourceController implements Controller {
  readonly name = 'cluster.NodeAddressSourceController';
  readonly inputs: readonly Input[] = [{ namespace: MachineConfig.defaultNamespace, type: MachineConfig, id: MACHINE_CONFIG_ID, kind: 'weak' }];
  readonly outputs: readonly Output[] = [{ type: NodeAddress, kind: 'exclusive' }];
  private readonly interfaces: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
  private readonly pollIntervalMs: number;

  constructor(opts: NodeAddressSourceOptions = {}) {
    checkOptions('NodeAddressSourceController', opts, OPTIONS);
    this.interfaces = opts.interfaces ?? networkInterfaces;
    this.pollIntervalMs = opts.pollIntervalMs ?? 10_000;
  }

  async run(ctx: ControllerContext): Promise<void> {
    // Interfaces change without any resource event: poll by queueing reconciles.
    const timer = setInterval(() => ctx.queueReconcile(), this.pollIntervalMs);
    timer.unref();
    try {
      for await (const _ of ctx.events()) {
        const cfg = (await getOptional<NodeConfig>(ctx, MachineConfig.pointer(MACHINE_CONFIG_ID)))?.spec;
        const configured = configuredNodeAddresses(cfg);
        const addresses = configured.length > 0 ? configured : osNodeAddresses(this.interfaces());
        await writeSpec(ctx, NodeAddress, NODE_ADDRESS_CURRENT_NO_K8S, { addresses });
        await writeSpec(ctx, NodeAddress, NODE_ADDRESS_ROUTED_NO_K8S, { addresses });
      }
    } finally {
      clearInterval(timer);
    }
  }
}
