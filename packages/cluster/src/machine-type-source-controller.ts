import type { Controller, ControllerContext, Input, Output } from '@cosi-ts/runtime';
import type { MachineType } from './affiliate-spec.ts';
import { destroyIfPresent, getOptional, writeSpec } from './controller-helpers.ts';
import { MachineConfig, MACHINE_CONFIG_ID } from './machine-config.ts';
import { MachineTypeResource, MACHINE_TYPE_ID } from './machine-type-resource.ts';
import type { ConfigMachineType, NodeConfig } from './node-config.ts';

/** `machine.type` as Talos reads it: `""` (unset) and `join` are workers. */
export function machineTypeOf(t: ConfigMachineType | undefined): MachineType {
  switch (t) {
    case 'controlplane':
    case 'init':
      return t;
    default:
      return 'worker';
  }
}

/** `config/MachineTypes/machine-type` from `machine.type`. */
export class MachineTypeSourceController implements Controller {
  readonly name = 'cluster.MachineTypeSourceController';
  readonly inputs: readonly Input[] = [{ namespace: MachineConfig.defaultNamespace, type: MachineConfig, id: MACHINE_CONFIG_ID, kind: 'weak' }];
  readonly outputs: readonly Output[] = [{ type: MachineTypeResource, kind: 'exclusive' }];

  async run(ctx: ControllerContext): Promise<void> {
    for await (const _ of ctx.events()) {
      const cfg = await getOptional<NodeConfig>(ctx, MachineConfig.pointer(MACHINE_CONFIG_ID));
      if (cfg === undefined) await destroyIfPresent(ctx, MachineTypeResource.pointer(MACHINE_TYPE_ID));
      else await writeSpec(ctx, MachineTypeResource, MACHINE_TYPE_ID, { machineType: machineTypeOf(cfg.spec.machine?.type) });
    }
  }
}
