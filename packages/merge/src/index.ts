export { AffiliateMergeController } from './affiliate-merge-controller.ts';
export { MemberController, memberOf } from './member-controller.ts';
