/**
 * Every external program that merr or its tests start, with the Debian package that provides it.
 * scripts/setup.sh installs each required one; test/unit/setup-binaries.test.ts checks that setup's
 * package list covers this table and that the code starts no program missing from it.
 */
export interface ExternalBinary {
  /** The name looked up on PATH. */
  bin: string;
  /** Debian package that installs it (undefined: not packaged, the user provides it). */
  pkg?: string;
  /** Who starts it. */
  usedBy: string;
  /** Set when merr and its tests work without it: what happens then (a test skip names it). */
  optional?: string;
}

export const BINARIES: readonly ExternalBinary[] = [
  { bin: "ffmpeg", pkg: "ffmpeg", usedBy: "extract-audio, sample-frames, peak-frame, face frame decoding, audio decoding, export transcode" },
  { bin: "ffprobe", pkg: "ffmpeg", usedBy: "probe stage, face frame geometry" },
  { bin: "redis-server", pkg: "redis-server", usedBy: "merr build's embedded Redis, the test Redis" },
  { bin: "pocketsphinx_continuous", pkg: "pocketsphinx", usedBy: "transcript stage (--asr pocketsphinx, the offline default)" },
  { bin: "xvfb-run", pkg: "xvfb", usedBy: "--xvfb (OpenFace under a virtual display), test/integration/openface-extract.test.ts" },
  { bin: "flite", pkg: "flite", usedBy: "tests: generated speech" },
  { bin: "espeak-ng", pkg: "espeak-ng", usedBy: "tests: generated speech with set pitch and speed" },
  { bin: "sox", pkg: "sox", usedBy: "tests: generated silence and noise" },
  { bin: "tmux", pkg: "tmux", usedBy: "tests: the progress display on a pseudo-terminal of 80 and 120 columns (skipped, saying so, without it)" },
  {
    bin: "chromium",
    pkg: "chromium",
    usedBy: "test/integration/dashboard.test.ts and viewer.test.ts (headless browser), npm run bench:view",
    optional: "Ubuntu ships Chromium as a snap that apt cannot always install; the browser tests are skipped, naming /usr/bin/chromium",
  },
  {
    bin: "FeatureExtraction",
    usedBy: "au-extract with --extractor openface",
    optional: "OpenFace is built by the user (--openface-bin / OPENFACE_BIN); without it merr uses its built-in analyzer and the tests use a stand-in",
  },
  {
    bin: "docker",
    usedBy: "test/unit/compose.test.ts (`docker compose config`)",
    optional: "Docker is the user's choice; without its compose plugin the test checks the file's structure only and says so",
  },
  {
    bin: "dpkg-query",
    pkg: "dpkg",
    usedBy: "pocketsphinx's version for provenance",
    optional: "part of every Debian/Ubuntu system; elsewhere the version is recorded as unknown",
  },
];

/** The "install it with" hint for a binary merr could not find. */
export function installHint(bin: string): string | undefined {
  const entry = BINARIES.find((b) => b.bin === bin);
  if (!entry?.pkg) return undefined;
  // pocketsphinx is useless without its English model, a separate package.
  const pkgs = entry.bin === "pocketsphinx_continuous" ? "pocketsphinx pocketsphinx-en-us" : entry.pkg;
  return `install it with: sudo apt-get install ${pkgs} (or run scripts/setup.sh)`;
}
