import { defineResourceType } from '@cosi-ts/resource';
import { CONTROLPLANE_NAMESPACE } from './namespaces.ts';

export interface APIServerConfigSpec {
  /** The port kube-apiserver listens on locally. */
  readonly localPort: number;
}

export const API_SERVER_CONFIG_ID = 'kube-apiserver';
export const DEFAULT_LOCAL_API_SERVER_PORT = 6443;

/** `controlplane/APIServerConfigs/kube-apiserver`; present on controlplane and init nodes only. */
export const APIServerConfig = defineResourceType<APIServerConfigSpec>({
  type: 'APIServerConfigs.kubernetes.talos.dev',
  defaultNamespace: CONTROLPLANE_NAMESPACE,
  printColumns: [{ name: 'LOCAL PORT', jsonPath: '{.localPort}' }],
});
