import type { NormalizedInput, NormalizedOutput } from './dependency-database.ts';

export type GraphEdgeKind =
  | 'inputWeak'
  | 'inputStrong'
  | 'inputDestroyReady'
  | 'inputPrimary'
  | 'inputMapped'
  | 'inputMappedDestroyReady'
  | 'outputExclusive'
  | 'outputShared';

export interface GraphEdge {
  readonly controller: string;
  readonly kind: GraphEdgeKind;
  readonly type: string;
  readonly namespace?: string;
  readonly id?: string;
}

/** The controller dependency graph (specs/controllers.md §11); stable JSON. */
export interface Graph {
  readonly controllers: readonly string[];
  readonly edges: readonly GraphEdge[];
}

const INPUT_KIND: Record<NormalizedInput['kind'], GraphEdgeKind> = {
  weak: 'inputWeak',
  strong: 'inputStrong',
  destroyReady: 'inputDestroyReady',
  primary: 'inputPrimary',
  mapped: 'inputMapped',
  mappedDestroyReady: 'inputMappedDestroyReady',
};

const cmp = (a: string | undefined, b: string | undefined): number => {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
};

export function buildGraph(
  controllers: readonly { name: string; inputs: readonly NormalizedInput[]; outputs: readonly NormalizedOutput[] }[],
): Graph {
  const edges: GraphEdge[] = [];
  for (const c of controllers) {
    for (const i of c.inputs) {
      const e: GraphEdge = { controller: c.name, kind: INPUT_KIND[i.kind], type: i.type, namespace: i.namespace };
      edges.push(i.id !== undefined ? { ...e, id: i.id } : e);
    }
    for (const o of c.outputs) {
      edges.push({ controller: c.name, kind: o.kind === 'exclusive' ? 'outputExclusive' : 'outputShared', type: o.type });
    }
  }
  edges.sort(
    (a, b) =>
      cmp(a.controller, b.controller) || cmp(a.kind, b.kind) || cmp(a.type, b.type) || cmp(a.namespace, b.namespace) || cmp(a.id, b.id),
  );
  return { controllers: controllers.map((c) => c.name).sort(cmp), edges };
}

const q = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

const STYLE: Record<GraphEdgeKind, string> = {
  inputWeak: 'dashed',
  inputStrong: 'solid',
  inputDestroyReady: 'dotted',
  inputPrimary: 'solid',
  inputMapped: 'dashed',
  inputMappedDestroyReady: 'dotted',
  outputExclusive: 'bold',
  outputShared: 'solid',
};

/** A deterministic Graphviz digraph: controllers as boxes, types as ellipses, inputs type → controller, outputs controller → type. */
export function toDot(graph: Graph): string {
  const lines = ['digraph controllers {', '  rankdir=LR;'];
  for (const c of graph.controllers) lines.push(`  ${q(c)} [shape=box];`);
  const types = [...new Set(graph.edges.map((e) => e.type))].sort(cmp);
  for (const t of types) lines.push(`  ${q(t)} [shape=ellipse];`);
  for (const e of graph.edges) {
    if (e.kind.startsWith('input')) {
      const label = `${e.namespace ?? ''}${e.id !== undefined ? `/${e.id}` : ''}`;
      lines.push(`  ${q(e.type)} -> ${q(e.controller)} [label=${q(label)}, style=${STYLE[e.kind]}];`);
    } else {
      lines.push(`  ${q(e.controller)} -> ${q(e.type)} [style=${STYLE[e.kind]}];`);
    }
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
