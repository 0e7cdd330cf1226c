import { defineResourceType } from '@cosi-ts/resource';

export interface IntSpec {
  readonly value: number;
}

export interface StrSpec {
  readonly value: string;
}

export const Ints = defineResourceType<IntSpec>({ type: 'Ints.test.cosi.dev', defaultNamespace: 'ints' });
export const Strs = defineResourceType<StrSpec>({ type: 'Strs.test.cosi.dev', defaultNamespace: 'strs' });
export const Sentences = defineResourceType<StrSpec>({ type: 'Sentences.test.cosi.dev', defaultNamespace: 'sentences' });
