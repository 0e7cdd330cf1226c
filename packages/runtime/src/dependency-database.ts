import { DependencyError } from './errors.ts';
import { typeName, type Input, type Output, type QInput } from './controller.ts';

export type Flavour = 'controller' | 'q';

/** An input after validation: the type resolved to its name. */
export interface NormalizedInput {
  readonly namespace: string;
  readonly type: string;
  readonly id?: string;
  readonly kind: Input['kind'] | QInput['kind'];
}

export interface NormalizedOutput {
  readonly type: string;
  readonly kind: Output['kind'];
}

interface Entry {
  flavour: Flavour;
  inputs: readonly NormalizedInput[];
  outputs: readonly NormalizedOutput[];
}

const CONTROLLER_KINDS = ['weak', 'strong', 'destroyReady'];
const Q_KINDS = ['primary', 'mapped', 'mappedDestroyReady'];

/** Names, inputs and outputs of every registered controller; enforces specs/controllers.md §1. */
export class DependencyDatabase {
  private readonly entries = new Map<string, Entry>();

  /** Validates a whole registration; throws DependencyError and changes nothing on any violation. */
  checkRegister(name: unknown, flavour: Flavour, inputs: unknown, outputs: unknown): {
    name: string;
    inputs: NormalizedInput[];
    outputs: NormalizedOutput[];
  } {
    if (typeof name !== 'string' || name.trim() === '') {
      throw new DependencyError(
        String(name),
        'a controller needs a non-empty string `name` (used as the owner of its outputs, in logs and metrics); give it one',
      );
    }
    if (this.entries.has(name)) {
      throw new DependencyError(
        name,
        `controller name "${name}" is already registered; controller names are unique: rename one of them`,
      );
    }
    const outs = this.normalizeOutputs(name, outputs);
    const ins = this.normalizeInputs(name, flavour, inputs);
    for (const o of outs) this.checkOutputFree(name, o);
    return { name, inputs: ins, outputs: outs };
  }

  add(name: string, flavour: Flavour, inputs: readonly NormalizedInput[], outputs: readonly NormalizedOutput[]): void {
    this.entries.set(name, { flavour, inputs, outputs });
  }

  /** Validates replacement inputs of a registered controller (rules 3 and 4). */
  checkInputs(name: string, inputs: unknown): NormalizedInput[] {
    const e = this.entries.get(name);
    if (!e) throw new DependencyError(name, `controller "${name}" is not registered`);
    return this.normalizeInputs(name, e.flavour, inputs);
  }

  setInputs(name: string, inputs: readonly NormalizedInput[]): void {
    const e = this.entries.get(name);
    if (e) e.inputs = inputs;
  }

  private normalizeOutputs(name: string, outputs: unknown): NormalizedOutput[] {
    if (!Array.isArray(outputs)) {
      throw new DependencyError(name, `controller "${name}": \`outputs\` must be an array (use [] for a controller that writes nothing)`);
    }
    const seen = new Set<string>();
    return outputs.map((o: unknown, i) => {
      const out = o as Partial<Output> | null;
      const type = out && out.type !== undefined ? safeType(out.type) : undefined;
      if (!type) {
        throw new DependencyError(name, `controller "${name}": outputs[${i}] needs a resource type (a type name or a definition)`);
      }
      if (out?.kind !== 'exclusive' && out?.kind !== 'shared') {
        throw new DependencyError(
          name,
          `controller "${name}": output ${type} has kind ${JSON.stringify(out?.kind)}; use 'exclusive' (only this controller writes the type) or 'shared'`,
        );
      }
      if (seen.has(type)) {
        throw new DependencyError(name, `controller "${name}": output ${type} is declared twice; declare each output type once`);
      }
      seen.add(type);
      return { type, kind: out.kind };
    });
  }

  private checkOutputFree(name: string, o: NormalizedOutput): void {
    for (const [other, e] of this.entries) {
      const theirs = e.outputs.find((x) => x.type === o.type);
      if (!theirs) continue;
      if (theirs.kind === 'exclusive' || o.kind === 'exclusive') {
        throw new DependencyError(
          name,
          `controller "${name}": output ${o.type} (${o.kind}) conflicts with controller "${other}" (${theirs.kind}); ` +
            'an exclusive output type belongs to one controller: declare it shared in both, or let one controller write it',
        );
      }
    }
  }

  private normalizeInputs(name: string, flavour: Flavour, inputs: unknown): NormalizedInput[] {
    if (!Array.isArray(inputs)) {
      throw new DependencyError(name, `controller "${name}": \`inputs\` must be an array (use [] and ctx.updateInputs() to set them later)`);
    }
    const allowed = flavour === 'controller' ? CONTROLLER_KINDS : Q_KINDS;
    const keys = new Map<string, boolean>(); // kind key -> has a kind-wide input
    const ids = new Set<string>();
    return inputs.map((x: unknown, i) => {
      const inp = x as Partial<Input> | null;
      const type = inp && inp.type !== undefined ? safeType(inp.type) : undefined;
      if (!type) {
        throw new DependencyError(name, `controller "${name}": inputs[${i}] needs a resource type (a type name or a definition)`);
      }
      if (typeof inp?.namespace !== 'string' || inp.namespace === '') {
        throw new DependencyError(
          name,
          `controller "${name}": input ${type} has no namespace, so it could never be read; inputs watch one namespace: add \`namespace\``,
        );
      }
      if (inp.id !== undefined && (typeof inp.id !== 'string' || inp.id === '')) {
        throw new DependencyError(name, `controller "${name}": input ${inp.namespace}/${type} has an empty id; omit \`id\` to watch the whole kind`);
      }
      const kind = inp.kind as string;
      if (!allowed.includes(kind)) {
        const hint =
          flavour === 'controller'
            ? `a Controller uses ${CONTROLLER_KINDS.join(' | ')} (primary/mapped inputs are for QControllers)`
            : `a QController uses ${Q_KINDS.join(' | ')} (weak/strong/destroyReady inputs are for Controllers)`;
        throw new DependencyError(name, `controller "${name}": input ${inp.namespace}/${type} has kind ${JSON.stringify(kind)}; ${hint}`);
      }
      const k = `${inp.namespace}\u0000${type}`;
      const idKey = `${k}\u0000${inp.id ?? '*'}`;
      const where = `${inp.namespace}/${type}${inp.id !== undefined ? `/${inp.id}` : ''}`;
      if (ids.has(idKey)) {
        throw new DependencyError(name, `controller "${name}": input ${where} is declared twice; declare each input once`);
      }
      const prevWide = keys.get(k);
      if (prevWide !== undefined && (prevWide || inp.id === undefined)) {
        throw new DependencyError(
          name,
          `controller "${name}": input ${where} overlaps another input on ${inp.namespace}/${type}; ` +
            'a kind-wide input already covers every id: keep either the kind-wide input or the id-scoped ones',
        );
      }
      keys.set(k, inp.id === undefined);
      ids.add(idKey);
      const out: NormalizedInput = { namespace: inp.namespace, type, kind: kind as NormalizedInput['kind'] };
      return inp.id !== undefined ? { ...out, id: inp.id } : out;
    });
  }
}

function safeType(t: unknown): string | undefined {
  if (typeof t === 'string') return t === '' ? undefined : t;
  if (typeof t === 'object' && t !== null && typeof (t as { type?: unknown }).type === 'string') {
    const s = typeName(t as { type: string });
    return s === '' ? undefined : s;
  }
  return undefined;
}
