import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { parseIp, parsePrefix } from './ip.ts';
import { NodeConfigError } from './node-config-error.ts';

/** `machine.type`; `""` and `join` mean worker, as in Talos. */
export type ConfigMachineType = 'controlplane' | 'worker' | 'init' | 'join' | '';

export interface KubeSpanSection {
  readonly enabled?: boolean;
  readonly advertiseKubernetesNetworks?: boolean;
  readonly filters?: { readonly endpoints?: readonly string[] };
  readonly extraEndpoints?: readonly string[];
  readonly excludeAdvertisedNetworks?: readonly string[];
}

export interface InterfaceSection {
  readonly interface?: string;
  readonly addresses?: readonly string[];
}

export interface MachineSection {
  readonly type?: ConfigMachineType;
  /** Default: the OS hostname. Talos' `machine.network.hostname` is read too. */
  readonly hostname?: string;
  /** The STATE partition: `node-identity.yaml` lives here. Relative paths are relative to the file. */
  readonly stateDir?: string;
  readonly api?: { readonly listen?: string };
  readonly network?: {
    readonly hostname?: string;
    /** Static addresses (CIDRs); when any are set they replace the OS interface addresses. */
    readonly interfaces?: readonly InterfaceSection[];
    readonly kubespan?: KubeSpanSection;
  };
  /** Shorthand for `machine.network.kubespan`. */
  readonly kubespan?: KubeSpanSection;
  /**
   * The Kubernetes registry's credentials: a kubeconfig file (relative paths are relative to this
   * file). Absent: the client library's default resolution (`KUBECONFIG`, `~/.kube/config`, in-cluster).
   */
  readonly kubernetes?: { readonly kubeconfig?: string };
}

export interface ClusterSection {
  readonly id?: string;
  /** Standard base64 of 32 bytes: the AES-256 key for discovery data. */
  readonly secret?: string;
  readonly clusterName?: string;
  readonly controlPlane?: { readonly endpoint?: string; readonly localAPIServerPort?: number };
  readonly discovery?: {
    readonly enabled?: boolean;
    readonly registries?: {
      readonly kubernetes?: { readonly disabled?: boolean };
      readonly service?: { readonly disabled?: boolean; readonly endpoint?: string };
    };
  };
}

/** The typed `node.yaml`: Talos' keys where Talos has them. Unknown keys are ignored (Talos files load). */
export interface NodeConfig {
  readonly version?: string;
  readonly machine?: MachineSection;
  readonly cluster?: ClusterSection;
}

/** `cidrs`: CIDRs or bare IPs; `filters`: the same, optionally negated with `!`; `endpoints`: `ip:port` / `[ip]:port`. */
type ListOf = 'cidrs' | 'filters' | 'endpoints';
type Leaf = 'string' | 'boolean' | 'port' | 'strings' | ListOf | { readonly oneOf: readonly string[] };
type Schema = Leaf | { readonly [key: string]: Schema } | readonly [Schema];

const KUBESPAN: Schema = {
  enabled: 'boolean',
  advertiseKubernetesNetworks: 'boolean',
  filters: { endpoints: 'filters' },
  extraEndpoints: 'endpoints',
  excludeAdvertisedNetworks: 'cidrs',
};

const SCHEMA: Schema = {
  version: 'string',
  machine: {
    type: { oneOf: ['controlplane', 'worker', 'init', 'join', ''] },
    hostname: 'string',
    stateDir: 'string',
    api: { listen: 'string' },
    network: {
      hostname: 'string',
      interfaces: [{ interface: 'string', addresses: 'cidrs' }],
      kubespan: KUBESPAN,
    },
    kubespan: KUBESPAN,
    kubernetes: { kubeconfig: 'string' },
  },
  cluster: {
    id: 'string',
    secret: 'string',
    clusterName: 'string',
    controlPlane: { endpoint: 'string', localAPIServerPort: 'port' },
    discovery: {
      enabled: 'boolean',
      registries: {
        kubernetes: { disabled: 'boolean' },
        service: { disabled: 'boolean', endpoint: 'string' },
      },
    },
  },
};

/** Keys whose values never appear in errors or logs. */
const SENSITIVE_KEYS = new Set(['cluster.secret']);

/** What was found, for error messages; values of sensitive keys are reduced to their type. */
function describeValue(v: unknown, key: string): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return SENSITIVE_KEYS.has(key) ? `a ${typeof v}` : `${typeof v} ${JSON.stringify(v)}`;
}

/** `ip:port` with a port 1-65535, IPv6 in brackets. */
function isEndpoint(s: string): boolean {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):([0-9]{1,5})$/.exec(s);
  if (m === null) return false;
  const ip = parseIp(m[1] ?? m[2] ?? '');
  const port = Number(m[3]);
  return ip !== undefined && (m[1] === undefined) === (ip.family === 4) && port >= 1 && port <= 65535;
}

const LIST_RULES: Record<ListOf, { readonly valid: (s: string) => boolean; readonly rule: string }> = {
  cidrs: { valid: (s) => parsePrefix(s) !== undefined, rule: 'must be a CIDR or an IP address' },
  filters: { valid: (s) => parsePrefix(s.startsWith('!') ? s.slice(1) : s) !== undefined, rule: 'must be a CIDR or an IP address, optionally prefixed with !' },
  endpoints: { valid: isEndpoint, rule: 'must be ip:port ([ip]:port for IPv6)' },
};

function check(value: unknown, schema: Schema, key: string, file: string | undefined): unknown {
  const fail = (rule: string): never => {
    throw new NodeConfigError(key, rule, file);
  };
  if (schema === 'string') return typeof value === 'string' ? value : fail(`must be a string, got ${describeValue(value, key)}`);
  if (schema === 'boolean') return typeof value === 'boolean' ? value : fail(`must be true or false, got ${describeValue(value, key)}`);
  if (schema === 'port') {
    return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535
      ? value
      : fail(`must be a port number (1-65535), got ${describeValue(value, key)}`);
  }
  if (schema === 'strings' || schema === 'cidrs' || schema === 'filters' || schema === 'endpoints') {
    if (!Array.isArray(value)) return fail(`must be a list of strings, got ${describeValue(value, key)}`);
    const rule = schema === 'strings' ? undefined : LIST_RULES[schema];
    return value.map((item: unknown, i) => {
      if (typeof item !== 'string') throw new NodeConfigError(`${key}[${i}]`, `must be a string, got ${describeValue(item, key)}`, file);
      if (rule !== undefined && !rule.valid(item)) throw new NodeConfigError(`${key}[${i}]`, `${rule.rule}, got ${JSON.stringify(item)}`, file);
      return item;
    });
  }
  if (Array.isArray(schema)) {
    if (!Array.isArray(value)) return fail(`must be a list, got ${describeValue(value, key)}`);
    const item = schema[0] as Schema;
    return value.map((v: unknown, i) => check(v, item, `${key}[${i}]`, file));
  }
  if (typeof schema === 'object' && 'oneOf' in schema && Array.isArray(schema.oneOf)) {
    const allowed = schema.oneOf as readonly string[];
    return typeof value === 'string' && allowed.includes(value)
      ? value
      : fail(`must be one of ${allowed.filter((a) => a !== '').join(', ')}, got ${describeValue(value, key)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(`must be a mapping, got ${describeValue(value, key)}`);
  const out: Record<string, unknown> = {};
  for (const [k, sub] of Object.entries(schema as Record<string, Schema>)) {
    const v = (value as Record<string, unknown>)[k];
    // YAML `key:` with no value is null: treat it as absent, as Go's YAML decoding does.
    if (v === undefined || v === null) continue;
    out[k] = check(v, sub, key === '' ? k : `${key}.${k}`, file);
  }
  return out;
}

/** Validates a decoded document (JSON/YAML value) as a node config. */
export function validateNodeConfig(doc: unknown, file?: string): NodeConfig {
  if (doc === null || doc === undefined) return {};
  return check(doc, SCHEMA, '', file) as NodeConfig;
}

/** Parses `node.yaml` text; errors name the key and, when given, the file. */
export function parseNodeConfig(text: string, file?: string): NodeConfig {
  const doc = parseDocument(text, { prettyErrors: false });
  const first = doc.errors[0];
  if (first !== undefined) throw new NodeConfigError('', `invalid YAML: ${first.message.split('\n')[0] ?? ''}`, file, { cause: first });
  return validateNodeConfig(doc.toJS(), file);
}

export async function loadNodeConfig(path: string): Promise<NodeConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new NodeConfigError('', `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, path, { cause: e });
  }
  return parseNodeConfig(text, path);
}

/** `machine.stateDir` resolved against the config file's directory (or the working directory). */
export function resolveStateDir(config: NodeConfig, configPath?: string): string | undefined {
  const dir = config.machine?.stateDir;
  if (dir === undefined || dir === '') return undefined;
  if (isAbsolute(dir)) return dir;
  return resolve(configPath === undefined ? process.cwd() : dirname(configPath), dir);
}

/**
 * `machine.kubernetes.kubeconfig` resolved against the config file's directory (or the working
 * directory); `undefined` (the client library's default resolution) when absent or empty.
 */
export function resolveKubeconfigPath(config: NodeConfig, configPath?: string): string | undefined {
  const path = config.machine?.kubernetes?.kubeconfig;
  if (path === undefined || path === '') return undefined;
  if (isAbsolute(path)) return path;
  return resolve(configPath === undefined ? process.cwd() : dirname(configPath), path);
}

/** `machine.kubespan`, else Talos' `machine.network.kubespan`. */
export function kubeSpanSectionOf(config: NodeConfig): KubeSpanSection | undefined {
  return config.machine?.kubespan ?? config.machine?.network?.kubespan;
}

/** `machine.hostname`, else Talos' `machine.network.hostname`. */
export function configuredHostname(config: NodeConfig): string | undefined {
  const h = config.machine?.hostname ?? config.machine?.network?.hostname;
  return h === '' ? undefined : h;
}
