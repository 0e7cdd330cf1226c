import { defineResourceType } from '@cosi-ts/resource';

// The resource types of the examples: Ints feed Strs, Strs feed Sentences.
export const Ints = defineResourceType<{ value: number }>({ type: 'Ints.example.cosi.dev', defaultNamespace: 'ints' });
export const Strs = defineResourceType<{ value: string }>({ type: 'Strs.example.cosi.dev', defaultNamespace: 'strs' });
export const Sentences = defineResourceType<{ text: string }>({ type: 'Sentences.example.cosi.dev', defaultNamespace: 'sentences' });
