/** The cosi-ts release, advertised as `operatingSystem` and as the discovery client version. */
export const COSI_TS_VERSION = '0.1.0';

/** `cosi-ts (v0.1.0)`: what Talos puts as `Talos (v1.8.0)`. */
export const OPERATING_SYSTEM = `cosi-ts (v${COSI_TS_VERSION})`;
