const RELEASE = /^v(\d+)\.(\d+)\.(\d+)/;

/**
 * The `client_version` label of `discovery_server_hello_requests_total` (spec §5.3): `v1.8.3` →
 * `v1.8`, anything after the patch → `v1.8-pre`, not a `v<maj>.<min>.<patch>` → `unknown`.
 * Keeps the label's cardinality bounded whatever clients send.
 */
export function normalizeClientVersion(v: string): string {
  const m = RELEASE.exec(v);
  if (m === null) return 'unknown';
  const base = `v${m[1]}.${m[2]}`;
  return m[0].length === v.length ? base : `${base}-pre`;
}
