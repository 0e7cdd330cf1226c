import type { Controller, ControllerContext, Input, Output } from '@cosi-ts/runtime';
import { destroyIfPresent, getOptional, writeSpec } from './controller-helpers.ts';
import { KubeSpanConfig, KUBESPAN_CONFIG_ID } from './kubespan-config.ts';
import { MachineConfig, MACHINE_CONFIG_ID } from './machine-config.ts';
import { kubeSpanSectionOf, type NodeConfig } from './node-config.ts';

/** `config/KubeSpanConfigs/kubespan` while `machine.kubespan.enabled` (or Talos' `machine.network.kubespan`). */
export class KubeSpanConfigSourceController implements Controller {
  readonly name = 'cluster.KubeSpanConfigSourceController';
  readonly inputs: readonly Input[] = [{ namespace: MachineConfig.defaultNamespace, type: MachineConfig, id: MACHINE_CONFIG_ID, kind: 'weak' }];
  readonly outputs: readonly Output[] = [{ type: KubeSpanConfig, kind: 'exclusive' }];

  async run(ctx: ControllerContext): Promise<void> {
    for await (const _ of ctx.events()) {
      const cfg = (await getOptional<NodeConfig>(ctx, MachineConfig.pointer(MACHINE_CONFIG_ID)))?.spec;
      const ks = cfg === undefined ? undefined : kubeSpanSectionOf(cfg);
      if (ks?.enabled !== true) {
        await destroyIfPresent(ctx, KubeSpanConfig.pointer(KUBESPAN_CONFIG_ID));
        continue;
      }
      await writeSpec(ctx, KubeSpanConfig, KUBESPAN_CONFIG_ID, {
        enabled: true,
        advertiseKubernetesNetworks: ks.advertiseKubernetesNetworks ?? false,
        endpointFilters: ks.filters?.endpoints ?? null,
        extraEndpoints: ks.extraEndpoints ?? [],
        excludeAdvertisedNetworks: ks.excludeAdvertisedNetworks ?? [],
      });
    }
  }
}
