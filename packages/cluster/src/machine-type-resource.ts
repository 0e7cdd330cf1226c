import { defineResourceType } from '@cosi-ts/resource';
import type { MachineType } from './affiliate-spec.ts';
import { CONFIG_NAMESPACE } from './namespaces.ts';

export interface MachineTypeSpec {
  readonly machineType: MachineType;
}

export const MACHINE_TYPE_ID = 'machine-type';

/** `config/MachineTypes/machine-type`. */
export const MachineTypeResource = defineResourceType<MachineTypeSpec>({
  type: 'MachineTypes.config.talos.dev',
  defaultNamespace: CONFIG_NAMESPACE,
  printColumns: [{ name: 'TYPE', jsonPath: '{.machineType}' }],
});
