export type { Phase, Kind, Pointer, Labels, Metadata, Resource, Tombstone } from './metadata.ts';
export type { LabelOp, LabelTerm, LabelQuery, IdQuery } from './label-query.ts';
export type { Recipe } from './recipe.ts';
