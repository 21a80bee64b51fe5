/**
 * Footage conditions of the face benchmarks: each sample clip re-encoded as footage often is. Each entry is a
 * name and the ffmpeg output arguments (libx264, after `-an -c:v libx264`) that make it from the clip.
 */
export const FOOTAGE_CONDITIONS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ["small face in a wide frame (360x270 in 960x540)", ["-vf", "scale=360:270,pad=960:540:300:135", "-crf", "23"]],
  ["low resolution (240x180)", ["-vf", "scale=240:180", "-crf", "26"]],
  ["dark, noisy, compressed", ["-vf", "eq=brightness=-0.15:contrast=0.8,noise=alls=12:allf=t", "-crf", "30"]],
  ["mirrored", ["-vf", "hflip", "-crf", "18"]],
  // Wide frames, the clip at its own size: television (16:9) and film (2.39:1) shapes.
  ["16:9 frame, face at the clip's own size (640x360)", ["-vf", "pad=640:360:80:0", "-crf", "18"]],
  ["2.39:1 frame, face at the clip's own size (860x360)", ["-vf", "pad=860:360:190:0", "-crf", "18"]],
  // Tilted heads: Human turns a face upright only beyond 11.5 degrees (au-extract.upright turns every frame).
  ["head tilted 10 degrees (the whole picture turned)", ["-vf", "rotate=10*PI/180:fillcolor=black", "-crf", "18"]],
  ["head tilting +-12 degrees while talking (1.6 s period)", ["-vf", "rotate=0.21*sin(2*PI*t/1.6):fillcolor=black", "-crf", "18"]],
  // HD frames are decoded at 960 px wide (the extractor's maxWidth): these show what that costs.
  ["HD frame, face at the clip's own size (in 1920x1080)", ["-vf", "pad=1920:1080:720:360", "-crf", "20"]],
  ["small face in an HD frame (240x180 in 1920x1080)", ["-vf", "scale=240:180,pad=1920:1080:840:450", "-crf", "20"]],
];
