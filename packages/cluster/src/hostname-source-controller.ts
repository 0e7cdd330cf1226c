import { hostname as osHostname } from 'node:os';
import { checkOptions, knownOptions } from '@cosi-ts/resource';
import type { Controller, ControllerContext, Input, Output } from '@cosi-ts/runtime';
import { getOptional, writeSpec } from './controller-helpers.ts';
import { HostnameStatus, HOSTNAME_STATUS_ID, splitHostname } from './hostname-status.ts';
import { MachineConfig, MACHINE_CONFIG_ID } from './machine-config.ts';
import { configuredHostname, type NodeConfig } from './node-config.ts';

const OPTIONS = knownOptions('osHostname');

export interface HostnameSourceOptions {
  /** The OS hostname (default `os.hostname()`); used when `node.yaml` sets none. */
  readonly osHostname?: () => string;
}

/** `network/HostnameStatuses/hostname`: `machine.hostname`, else the OS hostname, split at the first dot. */
export class HostnameSourceController implements Controller {
  readonly name = 'cluster.HostnameSourceController';
  readonly inputs: readonly Input[] = [{ namespace: MachineConfig.defaultNamespace, type: MachineConfig, id: MACHINE_CONFIG_ID, kind: 'weak' }];
  readonly outputs: readonly Output[] = [{ type: HostnameStatus, kind: 'exclusive' }];
  private readonly osHostname: () => string;

  constructor(opts: HostnameSourceOptions = {}) {
    checkOptions('HostnameSourceController', opts, OPTIONS);
    this.osHostname = opts.osHostname ?? osHostname;
  }

  async run(ctx: ControllerContext): Promise<void> {
    for await (const _ of ctx.events()) {
      const cfg = await getOptional<NodeConfig>(ctx, MachineConfig.pointer(MACHINE_CONFIG_ID));
      const name = (cfg === undefined ? undefined : configuredHostname(cfg.spec)) ?? this.osHostname();
      await writeSpec(ctx, HostnameStatus, HOSTNAME_STATUS_ID, splitHostname(name));
    }
  }
}
