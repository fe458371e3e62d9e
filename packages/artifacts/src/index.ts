/* Tar archives of local files and directories */

export type { PackedPath } from './tar-archive.js';
export { extractTo, packPath } from './tar-archive.js';
