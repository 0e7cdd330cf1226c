export { TempStateFiles } from './temp-state-files.ts';
