import YAML from 'yaml';
import { NamespaceType, ResourceDefinitionType, deepFreeze } from '@cosi-ts/resource';
import type { NamespaceSpec, ResourceDefinitionSpec } from '@cosi-ts/resource';
import {
  NamespaceSpec as NamespaceSpecMessage,
  ResourceDefinitionSpec as ResourceDefinitionSpecMessage,
  ResourceDefinitionSpec_Sensitivity as Sensitivity,
} from './gen/cosi/resource/meta/meta.ts';

// The YAML options of @cosi-ts/resource's encodeResource, so yaml_spec reads like the rest of the repo.
const yamlOptions = { aliasDuplicateObjects: false, lineWidth: 0 } as const;

// Resources are deeply frozen, so the encoding of a spec object never changes: a server sending the
// same resource to many watchers encodes it once.
const yamlCache = new WeakMap<object, string>();

/**
 * yaml_spec text: YAML in flow style, i.e. JSON (a YAML 1.2 document that every YAML reader, Go's
 * yaml.v3 included, reads as the same data) — about 40× cheaper to write and read than block style,
 * which dominated a watch's cost. Specs JSON cannot carry exactly (non-finite numbers, -0) fall back
 * to block YAML.
 */
function encodeSpec(spec: unknown): string {
  const json = JSON.stringify(spec);
  if (json === undefined) return YAML.stringify(spec, yamlOptions);
  // JSON writes NaN and ±Infinity as null and -0 as 0: only then look closer (rarely: a replacer is slow).
  if (!json.includes('null') && !json.includes('0')) return json;
  let exact = true;
  JSON.stringify(spec, (_k, v: unknown) => {
    if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))) exact = false;
    return v;
  });
  return exact ? json : YAML.stringify(spec, yamlOptions);
}

export function specToYaml(spec: unknown): string {
  if (typeof spec !== 'object' || spec === null) return encodeSpec(spec);
  const cached = yamlCache.get(spec);
  if (cached !== undefined) return cached;
  const text = encodeSpec(spec);
  if (Object.isFrozen(spec)) yamlCache.set(spec, text);
  return text;
}

// Decoding YAML dominates a remote watcher's cost, and many events carry the same spec text (the
// `old` of one event is the `resource` of the one before; every watcher gets the same events), so
// recent texts map to their frozen spec. Bounded in entries and in the length of a cached text.
const DECODE_CACHE_ENTRIES = 4096;
const DECODE_CACHE_MAX_TEXT = 16 * 1024;
const decodeCache = new Map<string, unknown>();

/** JSON first (our servers' flow style), else any YAML (a Go server's block style). */
function parseSpec(text: string): unknown {
  const c = text.charCodeAt(0);
  // '{' '[' '"' digits, '-', t(rue) f(alse) n(ull): worth trying JSON
  if (c === 0x7b || c === 0x5b || c === 0x22 || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x74 || c === 0x66 || c === 0x6e) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // not JSON: read it as YAML
    }
  }
  return YAML.parse(text) as unknown;
}

export function specFromYaml(text: string): unknown {
  const hit = decodeCache.get(text);
  if (hit !== undefined) {
    // Refresh: least recently used entries go first.
    decodeCache.delete(text);
    decodeCache.set(text, hit);
    return hit;
  }
  const spec = deepFreeze(parseSpec(text));
  if (text.length <= DECODE_CACHE_MAX_TEXT && spec !== undefined) {
    if (decodeCache.size >= DECODE_CACHE_ENTRIES) decodeCache.delete(decodeCache.keys().next().value as string);
    decodeCache.set(text, spec);
  }
  return spec;
}

/** The proto codec of the meta types (spec §3.6); `undefined` for types without one. */
export function specToProto(type: string, spec: unknown): Buffer | undefined {
  if (type === NamespaceType.type) {
    const s = spec as NamespaceSpec;
    return Buffer.from(NamespaceSpecMessage.encode({ description: String(s.description ?? '') }).finish());
  }
  if (type === ResourceDefinitionType.type) {
    const s = spec as ResourceDefinitionSpec;
    return Buffer.from(
      ResourceDefinitionSpecMessage.encode({
        resourceType: s.type,
        displayType: s.displayType,
        defaultNamespace: s.defaultNamespace,
        aliases: [...s.aliases],
        allAliases: [...s.allAliases],
        printColumns: s.printColumns.map((c) => ({ name: c.name, jsonPath: c.jsonPath })),
        sensitivity: s.sensitivity === 'sensitive' ? Sensitivity.SENSITIVE : Sensitivity.NON_SENSITIVE,
      }).finish(),
    );
  }
  return undefined;
}

export function hasProtoCodec(type: string): boolean {
  return type === NamespaceType.type || type === ResourceDefinitionType.type;
}

/** Inverse of specToProto; throws on malformed bytes. */
export function specFromProto(type: string, bytes: Uint8Array): unknown {
  if (type === NamespaceType.type) {
    const m = NamespaceSpecMessage.decode(bytes);
    return { description: m.description } satisfies NamespaceSpec;
  }
  if (type === ResourceDefinitionType.type) {
    const m = ResourceDefinitionSpecMessage.decode(bytes);
    return {
      type: m.resourceType,
      displayType: m.displayType,
      defaultNamespace: m.defaultNamespace,
      aliases: m.aliases,
      allAliases: m.allAliases,
      printColumns: m.printColumns.map((c) => ({ name: c.name, jsonPath: c.jsonPath })),
      sensitivity: m.sensitivity === Sensitivity.SENSITIVE ? 'sensitive' : '',
    } satisfies ResourceDefinitionSpec;
  }
  throw new TypeError(`type ${type} has no protobuf spec codec`);
}
