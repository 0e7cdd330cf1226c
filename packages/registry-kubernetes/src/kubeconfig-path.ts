import type { ControllerContext } from '@cosi-ts/runtime';
import { getOptional, MachineConfig, MACHINE_CONFIG_ID, MACHINE_CONFIG_PATH_ANNOTATION, resolveKubeconfigPath, type NodeConfig } from '@cosi-ts/cluster';

/** `machine.kubernetes.kubeconfig` of the current `node.yaml`, resolved against its file; `undefined`: library default. */
export async function configuredKubeconfig(ctx: Pick<ControllerContext, 'get'>): Promise<string | undefined> {
  const cfg = await getOptional<NodeConfig>(ctx, MachineConfig.pointer(MACHINE_CONFIG_ID));
  if (cfg === undefined) return undefined;
  return resolveKubeconfigPath(cfg.spec, cfg.metadata.annotations[MACHINE_CONFIG_PATH_ANNOTATION]);
}
