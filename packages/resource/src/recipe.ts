import type { Draft } from 'immer';
import type { Resource } from './metadata.ts';

/**
 * An immer recipe over a draft of a resource. It may change `spec` and
 * `metadata.{labels, annotations, finalizers, phase}`; changing anything else is a TypeError.
 */
export type Recipe<S> = (draft: Draft<Resource<S>>) => void | Promise<void>;
