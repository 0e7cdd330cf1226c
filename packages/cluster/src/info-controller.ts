import type { Controller, ControllerContext, Input, Output } from '@cosi-ts/runtime';
import { destroyIfPresent, getOptional, writeSpec } from './controller-helpers.ts';
import { Info, CURRENT_INFO_ID } from './info.ts';
import { MachineConfig, MACHINE_CONFIG_ID } from './machine-config.ts';
import type { NodeConfig } from './node-config.ts';

/** `cluster/Infos/current` = {clusterId, clusterName} from `node.yaml`; gone with the `cluster` section. */
export class InfoController implements Controller {
  readonly name = 'cluster.InfoController';
  readonly inputs: readonly Input[] = [{ namespace: MachineConfig.defaultNamespace, type: MachineConfig, id: MACHINE_CONFIG_ID, kind: 'weak' }];
  readonly outputs: readonly Output[] = [{ type: Info, kind: 'exclusive' }];

  async run(ctx: ControllerContext): Promise<void> {
    for await (const _ of ctx.events()) {
      const cluster = (await getOptional<NodeConfig>(ctx, MachineConfig.pointer(MACHINE_CONFIG_ID)))?.spec.cluster;
      if (cluster === undefined) await destroyIfPresent(ctx, Info.pointer(CURRENT_INFO_ID));
      else await writeSpec(ctx, Info, CURRENT_INFO_ID, { clusterId: cluster.id ?? '', clusterName: cluster.clusterName ?? '' });
    }
  }
}
