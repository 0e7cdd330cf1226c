/** A resource's lifecycle phase. `tearingDown` is terminal: a resource never returns to `running`. */
export type Phase = 'running' | 'tearingDown';

/** The unit of listing, watching and history. */
export interface Kind {
  readonly namespace: string;
  readonly type: string;
}

/** A Kind plus an id: names exactly one resource. */
export interface Pointer extends Kind {
  readonly id: string;
}

export type Labels = Readonly<Record<string, string>>;

export interface Metadata extends Pointer {
  /** 0 = never stored; create stores 1; every write adds 1. */
  readonly version: number;
  /** '' = unowned. Set by create, never changed. */
  readonly owner: string;
  readonly phase: Phase;
  /** An ordered set: no duplicates, insertion order kept. */
  readonly finalizers: readonly string[];
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly created: Date;
  readonly updated: Date;
}

/** A resource as stored and handed out: deeply frozen, never mutated in place. */
export interface Resource<S = unknown> {
  readonly metadata: Metadata;
  readonly spec: S;
}

/** "Absent": the metadata of what is not there (`id: ''` at kind level), no spec. */
export interface Tombstone {
  readonly metadata: Metadata;
  readonly spec: undefined;
}
