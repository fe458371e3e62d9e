/** This package's version (kept equal to package.json by a test). */
export const PKG_VERSION = '0.1.0';
/** The `@flowlane/core` range this package supports. */
export const CORE_RANGE = '^0.1.0';
