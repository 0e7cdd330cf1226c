import { defineResourceType } from '@cosi-ts/resource';
import { NETWORK_NAMESPACE } from './namespaces.ts';

export interface HostnameStatusSpec {
  /** Short hostname (before the first dot). */
  readonly hostname: string;
  /** The rest after the first dot, or `""`. */
  readonly domainname: string;
}

export const HOSTNAME_STATUS_ID = 'hostname';

/** `network/HostnameStatuses/hostname`. */
export const HostnameStatus = defineResourceType<HostnameStatusSpec>({
  type: 'HostnameStatuses.net.talos.dev',
  defaultNamespace: NETWORK_NAMESPACE,
  printColumns: [
    { name: 'HOSTNAME', jsonPath: '{.hostname}' },
    { name: 'DOMAINNAME', jsonPath: '{.domainname}' },
  ],
});

/** `hostname.domainname`, or just `hostname`. */
export function fqdnOf(s: HostnameStatusSpec): string {
  return s.domainname === '' ? s.hostname : `${s.hostname}.${s.domainname}`;
}

/** Splits a hostname at its first dot. */
export function splitHostname(name: string): HostnameStatusSpec {
  const dot = name.indexOf('.');
  return dot < 0 ? { hostname: name, domainname: '' } : { hostname: name.slice(0, dot), domainname: name.slice(dot + 1) };
}
