/**
 * Version of the built-in analysis: bumped whenever a change alters the numbers it writes (face
 * tracking, geometry, AU calibration). The au-extract stage uses it as its version, so a build after
 * an upgrade redoes the face analysis instead of keeping stale records.
 */
// 5: the frame is enlarged by face size; 6: adaptive analysis rate (adaptive-rate.ts); 7: shot cuts end
// face tracks and force a detection, tracks are grouped into people by identity descriptors (subject.ts);
// 8: a small face in a large frame is analysed in the region around it, enlarged to the target precision;
// rotated streams are read at their decoded size and anamorphic ones in square pixels (frames.ts);
// 9: the expression classifier runs 5 times per second of video instead of on every frame (extractor.ts);
// 10: frames are converted to RGB bit-exactly (frames.ts BITEXACT_SWS_FLAGS), the same on every CPU;
// 11: three identity descriptors per shot, and tracks are one person from a mean similarity of 0.65
// (was one descriptor and 0.5: strangers were merged, mixing two faces in one clip's AUs), and a cut is
// also found in the face's box (shots.ts FaceCuts: two people framed alike before one background);
// 12: a picture wider than 4:3 is padded to 4:3 before Human (face-analyzer.ts DETECTOR_ASPECT): its
// detector squeezed wide frames into a square, and their face boxes, AUs and labels followed the width;
// the sidecar's frame brightness is the picture's inside black bars (extractor.ts pictureBox); the face's
// cut cue compares only boxes within a quarter of each other's width (shots.ts MAX_BOX_SIZE_RATIO).
export const BUILTIN_VERSION = 12;
