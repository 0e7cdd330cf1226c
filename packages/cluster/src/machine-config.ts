import { defineResourceType } from '@cosi-ts/resource';
import type { NodeConfig } from './node-config.ts';
import { CONFIG_NAMESPACE } from './namespaces.ts';

export const MACHINE_CONFIG_ID = 'v1alpha1';

/** Annotation holding the path of the file the config was read from; errors name it. */
export const MACHINE_CONFIG_PATH_ANNOTATION = 'config.cosi-ts.dev/path';

/** `config/MachineConfigs/v1alpha1`: the parsed `node.yaml`. Sensitive: it holds the cluster secret. */
export const MachineConfig = defineResourceType<NodeConfig>({
  type: 'MachineConfigs.config.talos.dev',
  defaultNamespace: CONFIG_NAMESPACE,
  sensitive: true,
});
