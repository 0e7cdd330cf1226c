import { defineResourceType } from '@cosi-ts/resource';
import { RUNTIME_NAMESPACE } from './namespaces.ts';

export type MachineResetSignalSpec = Record<string, never>;

export const MACHINE_RESET_SIGNAL_ID = 'machine';

/** `runtime/MachineResetSignals/machine`: present while the node is leaving the cluster. */
export const MachineResetSignal = defineResourceType<MachineResetSignalSpec>({
  type: 'MachineResetSignals.runtime.talos.dev',
  defaultNamespace: RUNTIME_NAMESPACE,
});
