/**
 * Version of the built-in analysis: bumped whenever a change alters the numbers it writes (face
 * tracking, geometry, AU calibration). The au-extract stage uses it as its version, so a build after
 * an upgrade redoes the face analysis instead of keeping stale records.
 */
export const BUILTIN_VERSION = 5;
