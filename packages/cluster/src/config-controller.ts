import type { Controller, ControllerContext, Input, Output } from '@cosi-ts/runtime';
import { destroyIfPresent, getOptional, writeSpec } from './controller-helpers.ts';
import { deriveDiscoveryConfig } from './derive-discovery-config.ts';
import { DiscoveryConfig, DISCOVERY_CONFIG_ID } from './discovery-config.ts';
import { MachineConfig, MACHINE_CONFIG_ID, MACHINE_CONFIG_PATH_ANNOTATION } from './machine-config.ts';
import type { NodeConfig } from './node-config.ts';

/**
 * `node.yaml` → `config/DiscoveryConfigs/cluster` (spec §3.1). An invalid config is a controller
 * error naming the key; the output is left as it was, so an invalid reload keeps the running config.
 */
export class ConfigController implements Controller {
  readonly name = 'cluster.ConfigController';
  readonly inputs: readonly Input[] = [{ namespace: MachineConfig.defaultNamespace, type: MachineConfig, id: MACHINE_CONFIG_ID, kind: 'weak' }];
  readonly outputs: readonly Output[] = [{ type: DiscoveryConfig, kind: 'exclusive' }];

  async run(ctx: ControllerContext): Promise<void> {
    for await (const _ of ctx.events()) {
      const cfg = await getOptional<NodeConfig>(ctx, MachineConfig.pointer(MACHINE_CONFIG_ID));
      const spec = cfg === undefined ? null : deriveDiscoveryConfig(cfg.spec, cfg.metadata.annotations[MACHINE_CONFIG_PATH_ANNOTATION]);
      if (spec === null) await destroyIfPresent(ctx, DiscoveryConfig.pointer(DISCOVERY_CONFIG_ID));
      else await writeSpec(ctx, DiscoveryConfig, DISCOVERY_CONFIG_ID, spec);
    }
  }
}
