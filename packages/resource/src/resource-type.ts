import pluralize from 'pluralize';
import { specEquals } from './equality.ts';
import { parseJsonPath } from './json-path.ts';
import type { Kind, Labels, Phase, Pointer, Resource } from './metadata.ts';
import { kindOf, newResource, pointerOf } from './resource.ts';
import { checkOptions, knownOptions } from './options.ts';

export interface PrintColumn {
  readonly name: string;
  /** kubectl JSONPath subset over the spec, e.g. `{.aliases[:]}`. */
  readonly jsonPath: string;
}

export interface ResourceTypeOptions<S> {
  /** `<PluralName>.<suffix>`, e.g. `Affiliates.cluster.talos.dev`. */
  type: string;
  defaultNamespace: string;
  aliases?: readonly string[];
  printColumns?: readonly PrintColumn[];
  sensitive?: boolean;
  /** Keep only the declared aliases (no singular, no initials, no plural or suffix-prefixed names). */
  skipAutomaticAliases?: boolean;
  /** Spec equality for the no-op rule; default: structural deep equality. */
  equals?: (a: S, b: S) => boolean;
  /**
   * The namespaces this type may live in (the default namespace is always one of them). When given,
   * `create`, `pointer` and `kind` refuse any other namespace with a TypeError naming the rule.
   * The state itself stores whatever it is given (specs/state.md §2: writes are not validated).
   */
  namespaces?: readonly string[];
}

/** What a `ResourceDefinitions.meta.cosi.dev` resource holds (specs/state.md §2). */
export interface ResourceDefinitionSpec {
  readonly type: string;
  readonly displayType: string;
  readonly defaultNamespace: string;
  readonly aliases: readonly string[];
  readonly allAliases: readonly string[];
  readonly printColumns: readonly PrintColumn[];
  readonly sensitivity: '' | 'sensitive';
}

export interface NewResourceOptions {
  namespace?: string;
  labels?: Labels;
  annotations?: Labels;
  finalizers?: readonly string[];
  phase?: Phase;
  owner?: string;
}

export interface ResourceType<S> {
  readonly type: string;
  readonly defaultNamespace: string;
  readonly sensitive: boolean;
  readonly definition: ResourceDefinitionSpec;
  /** A never-stored resource: version 0, phase running, owner '', created = updated = Date(0); deeply frozen. */
  create(id: string, spec: S, opts?: NewResourceOptions): Resource<S>;
  pointer(id: string, namespace?: string): Pointer;
  kind(namespace?: string): Kind;
  equals(a: S, b: S): boolean;
  is(r: Resource<unknown>): r is Resource<S>;
}

const namePattern = /^[A-Z][A-Za-z0-9-]+$/;
const suffixPattern = /^[a-z][a-z0-9-]+(\.[a-z][a-z0-9-]+)*$/;

/** Splits and checks a type name per specs/state.md §2 rules 1–3. */
function splitType(type: unknown): { name: string; suffix: string } {
  if (typeof type !== 'string') throw new TypeError(`resource type must be a string, got ${typeof type}`);
  const dot = type.indexOf('.');
  if (dot < 0) throw new TypeError(`resource type ${JSON.stringify(type)} must be <PluralName>.<suffix>, e.g. Affiliates.cluster.talos.dev`);
  const name = type.slice(0, dot);
  const suffix = type.slice(dot + 1);
  if (!namePattern.test(name)) {
    throw new TypeError(`resource type ${JSON.stringify(type)}: name ${JSON.stringify(name)} must match ${namePattern.source}`);
  }
  if (!pluralize.isPlural(name)) {
    throw new TypeError(`resource type ${JSON.stringify(type)}: name ${JSON.stringify(name)} must be plural (e.g. ${pluralize.plural(name)})`);
  }
  if (!suffixPattern.test(suffix)) {
    throw new TypeError(`resource type ${JSON.stringify(type)}: suffix ${JSON.stringify(suffix)} must match ${suffixPattern.source}`);
  }
  return { name, suffix };
}

function uniq(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

type DefinitionOptions = Pick<ResourceTypeOptions<unknown>, 'type' | 'defaultNamespace' | 'aliases' | 'printColumns' | 'sensitive' | 'skipAutomaticAliases'>;

/** The definition of a type (specs/state.md §2): validates the options, derives display type and aliases. */
export function deriveDefinition(opts: DefinitionOptions): ResourceDefinitionSpec {
  const { name, suffix } = splitType(opts.type);
  if (typeof opts.defaultNamespace !== 'string' || opts.defaultNamespace === '') {
    throw new TypeError(`resource type ${opts.type}: defaultNamespace must be a non-empty string`);
  }
  const declared = opts.aliases ?? [];
  for (const a of declared) {
    if (typeof a !== 'string' || a === '') throw new TypeError(`resource type ${opts.type}: aliases must be non-empty strings`);
  }
  const printColumns = (opts.printColumns ?? []).map((c) => {
    if (typeof c.name !== 'string' || c.name === '') {
      throw new TypeError(`resource type ${opts.type}: print column names must be non-empty strings`);
    }
    parseJsonPath(c.jsonPath);
    return Object.freeze({ name: c.name, jsonPath: c.jsonPath });
  });
  const displayType = pluralize.singular(name);
  const aliases = [...declared];
  if (opts.skipAutomaticAliases !== true) {
    aliases.push(displayType.toLowerCase());
    const capitals = name.replace(/[^A-Z]/g, '');
    if (capitals.length >= 2) {
      aliases.push(capitals.toLowerCase());
      if (!capitals.endsWith('S')) aliases.push(`${capitals.toLowerCase()}s`);
    }
  }
  // As in the Go runtime, skipping automatic aliases also drops the names derived from the type.
  const byType: string[] = [];
  if (opts.skipAutomaticAliases !== true) {
    const lowerName = name.toLowerCase();
    const segments = suffix.split('.');
    byType.push(lowerName);
    for (let i = 1; i < segments.length; i++) byType.push([lowerName, ...segments.slice(0, i)].join('.'));
  }
  return Object.freeze({
    type: opts.type,
    displayType,
    defaultNamespace: opts.defaultNamespace,
    aliases: Object.freeze(uniq(aliases)),
    allAliases: Object.freeze(uniq([...byType, ...aliases])),
    printColumns: Object.freeze(printColumns),
    sensitivity: opts.sensitive === true ? 'sensitive' : '',
  });
}

function allowedNamespaces(type: string, defaultNamespace: string, namespaces: readonly string[] | undefined): Set<string> | undefined {
  if (namespaces === undefined) return undefined;
  if (!Array.isArray(namespaces) || namespaces.some((n) => typeof n !== 'string' || n === '')) {
    throw new TypeError(`resource type ${type}: namespaces must be a list of non-empty strings`);
  }
  return new Set([defaultNamespace, ...namespaces]);
}

const TYPE_OPTIONS = knownOptions('type', 'defaultNamespace', 'aliases', 'printColumns', 'sensitive', 'skipAutomaticAliases', 'equals', 'namespaces');
const PRINT_COLUMN_OPTIONS = knownOptions('name', 'jsonPath');
const NEW_RESOURCE_OPTIONS = knownOptions('namespace', 'labels', 'annotations', 'finalizers', 'phase', 'owner');

/** Declares a resource type; TypeError when the type name breaks specs/state.md §2 rules 1–3. */
export function defineResourceType<S>(opts: ResourceTypeOptions<S>): ResourceType<S> {
  const where = `resource type ${String((opts as { type?: unknown } | undefined)?.type)}`;
  checkOptions(where, opts, TYPE_OPTIONS);
  if (Array.isArray(opts.printColumns)) for (const c of opts.printColumns) checkOptions(`${where} print column`, c, PRINT_COLUMN_OPTIONS);
  const definition = deriveDefinition(opts);
  const { type, defaultNamespace } = definition;
  const equals = opts.equals ?? specEquals;
  const allowed = allowedNamespaces(type, defaultNamespace, opts.namespaces);
  const checked = (namespace: string, id?: string): string => {
    if (allowed !== undefined && !allowed.has(namespace)) {
      const name = id === undefined ? `${namespace}/${type}` : `${namespace}/${type}/${id}`;
      throw new TypeError(`resource ${name}: namespace ${JSON.stringify(namespace)} is not one of the namespaces ${type} lives in (${[...allowed].join(', ')})`);
    }
    return namespace;
  };
  return Object.freeze({
    type,
    defaultNamespace,
    sensitive: definition.sensitivity === 'sensitive',
    definition,
    create(id: string, spec: S, o: NewResourceOptions = {}): Resource<S> {
      checkOptions(() => `resource ${String(o.namespace ?? defaultNamespace)}/${type}/${id}`, o, NEW_RESOURCE_OPTIONS);
      const { namespace = defaultNamespace, ...rest } = o;
      return newResource({ ...rest, namespace: checked(namespace, id), type, id }, spec);
    },
    pointer: (id: string, namespace = defaultNamespace) => pointerOf({ namespace: checked(namespace, id), type, id }),
    kind: (namespace = defaultNamespace) => kindOf({ namespace: checked(namespace), type }),
    equals: (a: S, b: S) => equals(a, b),
    is: (r: Resource<unknown>): r is Resource<S> => r.metadata.type === type,
  });
}
