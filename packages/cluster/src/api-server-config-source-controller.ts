import type { Controller, ControllerContext, Input, Output } from '@cosi-ts/runtime';
import { APIServerConfig, API_SERVER_CONFIG_ID, DEFAULT_LOCAL_API_SERVER_PORT } from './api-server-config.ts';
import { destroyIfPresent, getOptional, writeSpec } from './controller-helpers.ts';
import { MachineConfig, MACHINE_CONFIG_ID } from './machine-config.ts';
import { machineTypeOf } from './machine-type-source-controller.ts';
import type { NodeConfig } from './node-config.ts';

/**
 * `controlplane/APIServerConfigs/kube-apiserver` {localPort} on controlplane and init nodes:
 * `cluster.controlPlane.localAPIServerPort`, default 6443. Absent on workers.
 */
export class APIServerConfigSourceController implements Controller {
  readonly name = 'cluster.APIServerConfigSourceController';
  readonly inputs: readonly Input[] = [{ namespace: MachineConfig.defaultNamespace, type: MachineConfig, id: MACHINE_CONFIG_ID, kind: 'weak' }];
  readonly outputs: readonly Output[] = [{ type: APIServerConfig, kind: 'exclusive' }];

  async run(ctx: ControllerContext): Promise<void> {
    for await (const _ of ctx.events()) {
      const cfg = (await getOptional<NodeConfig>(ctx, MachineConfig.pointer(MACHINE_CONFIG_ID)))?.spec;
      const type = machineTypeOf(cfg?.machine?.type);
      if (cfg === undefined || (type !== 'controlplane' && type !== 'init')) {
        await destroyIfPresent(ctx, APIServerConfig.pointer(API_SERVER_CONFIG_ID));
      } else {
        const localPort = cfg.cluster?.controlPlane?.localAPIServerPort ?? DEFAULT_LOCAL_API_SERVER_PORT;
        await writeSpec(ctx, APIServerConfig, API_SERVER_CONFIG_ID, { localPort });
      }
    }
  }
}
