/**
 * The sample page's charts as plain SVG strings, drawn on the server so the page needs no charting
 * library and the drawing is tested like any pure function.
 */

export const escapeXml = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Eight colours that stay apart for the common colour-vision deficiencies (Okabe-Ito, black left out). */
const COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#7f7f7f"];

export interface AuSeries {
  au: string;
  /** The AU's name in the rule set (`Lip corner puller`). */
  name?: string;
  /** Intensity per row (NaN for a missing cell). */
  values: ArrayLike<number>;
  /** Whether the AU counts as active per row under the rule set. */
  active: ArrayLike<boolean>;
  /** Why it is drawn: an AU of the rule that fired, an AU active at the peak frame, one of the AUs summed for the peak. */
  role: string;
}

export interface AuTimeline {
  /** Time of each row of the primary face, seconds. */
  times: ArrayLike<number>;
  /** Rows used for decisions (tracked, confident). */
  valid: ArrayLike<number | boolean>;
  /** The rule set's activity threshold (`active.intensity_min`). */
  threshold: number;
  series: AuSeries[];
  peakRow: number;
  /** The peak's video frame (0-based), for the label. */
  peakFrame: number;
  /** Further frames the rules looked at (MER-Factory's chronological peaks). */
  marks: Array<{ row: number; label: string }>;
}

const fmt = (x: number): string => (Math.round(x * 10) / 10).toString();

/**
 * The AU timeline: intensity curves of the AUs that matter, the threshold line, the peak frame and the
 * other frames the rules used, invalid rows shaded, and one strip per AU marking the frames where it is
 * active (what the rule's frame-fraction condition counts).
 */
export function renderAuTimelineSvg(t: AuTimeline): string {
  const W = 760;
  const left = 40;
  const right = 150;
  const top = 18;
  const plotH = 180;
  const stripH = 12;
  const n = t.times.length;
  const t0 = n ? t.times[0]! : 0;
  const t1 = n ? Math.max(t.times[n - 1]!, t0 + 1e-6) : 1;
  const maxY = Math.max(5, t.threshold);
  const x = (time: number): number => left + ((time - t0) / (t1 - t0)) * (W - left - right);
  const y = (v: number): number => top + plotH - (Math.max(0, Math.min(maxY, v)) / maxY) * plotH;
  const stripsTop = top + plotH + 24;
  const H = stripsTop + t.series.length * (stripH + 4) + 10;
  const step = n > 1 ? (W - left - right) / (n - 1) : 4;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" class="au-timeline" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="AU intensity timeline" font-family="sans-serif" font-size="11">`);
  parts.push(`<rect x="${left}" y="${top}" width="${W - left - right}" height="${plotH}" fill="#fafafa" stroke="#ccc"/>`);
  // rows not used for decisions
  for (let i = 0; i < n; i++) {
    if (!t.valid[i]) parts.push(`<rect class="invalid" x="${fmt(x(t.times[i]!) - step / 2)}" y="${top}" width="${fmt(Math.max(step, 1))}" height="${plotH}" fill="#ddd"><title>row ${i}: not used (no confident face)</title></rect>`);
  }
  for (let v = 0; v <= maxY; v++) {
    parts.push(`<line x1="${left - 3}" x2="${left}" y1="${fmt(y(v))}" y2="${fmt(y(v))}" stroke="#999"/><text x="${left - 6}" y="${fmt(y(v) + 4)}" text-anchor="end" fill="#555">${v}</text>`);
  }
  parts.push(`<text x="${left}" y="${top - 5}" fill="#555">intensity (0-5)</text>`);
  parts.push(`<text x="${W - right}" y="${top + plotH + 14}" text-anchor="end" fill="#555">${fmt(t1)} s</text><text x="${left}" y="${top + plotH + 14}" fill="#555">${fmt(t0)} s</text>`);
  t.series.forEach((s, k) => {
    const colour = COLOURS[k % COLOURS.length]!;
    const segs: string[] = [];
    let d = "";
    for (let i = 0; i < n; i++) {
      const v = s.values[i]!;
      if (!Number.isFinite(v)) {
        if (d) segs.push(d);
        d = "";
        continue;
      }
      d += `${d ? "L" : "M"}${fmt(x(t.times[i]!))} ${fmt(y(v))}`;
    }
    if (d) segs.push(d);
    parts.push(`<path class="au-curve" data-au="${escapeXml(s.au)}" d="${segs.join(" ")}" fill="none" stroke="${colour}" stroke-width="1.6"><title>${escapeXml(`${s.au} ${s.name ?? ""} (${s.role})`)}</title></path>`);
    const ly = top + 10 + k * 16;
    parts.push(`<line x1="${W - right + 10}" x2="${W - right + 26}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="3"/><text x="${W - right + 30}" y="${ly + 4}">${escapeXml(s.au)} ${escapeXml(s.role)}</text>`);
    const sy = stripsTop + k * (stripH + 4);
    parts.push(`<text x="${left - 6}" y="${sy + stripH - 2}" text-anchor="end" fill="#333">${escapeXml(s.au)}</text>`);
    parts.push(`<rect x="${left}" y="${sy}" width="${W - left - right}" height="${stripH}" fill="#f3f3f3"/>`);
    for (let i = 0; i < n; i++) {
      if (s.active[i] && t.valid[i]) parts.push(`<rect class="active" x="${fmt(x(t.times[i]!) - step / 2)}" y="${sy}" width="${fmt(Math.max(step, 1))}" height="${stripH}" fill="${colour}"/>`);
    }
  });
  parts.push(`<text x="${W - right + 10}" y="${stripsTop + stripH - 2}" fill="#555">frames active</text>`);
  const ty = fmt(y(t.threshold));
  parts.push(`<line class="threshold" x1="${left}" x2="${W - right}" y1="${ty}" y2="${ty}" stroke="#444" stroke-dasharray="5 4"><title>active at intensity >= ${t.threshold}</title></line>`);
  parts.push(`<text x="${W - right - 4}" y="${Number(ty) - 4}" text-anchor="end" fill="#444">active >= ${t.threshold}</text>`);
  for (const m of t.marks) {
    if (m.row < 0 || m.row >= n) continue;
    const mx = fmt(x(t.times[m.row]!));
    parts.push(`<line class="rule-frame" x1="${mx}" x2="${mx}" y1="${top}" y2="${top + plotH}" stroke="#888" stroke-dasharray="2 3"><title>${escapeXml(m.label)}</title></line>`);
  }
  if (t.peakRow >= 0 && t.peakRow < n) {
    const px = fmt(x(t.times[t.peakRow]!));
    parts.push(`<line class="peak-line" data-frame="${t.peakFrame}" x1="${px}" x2="${px}" y1="${top}" y2="${H - 6}" stroke="#d00" stroke-width="2"><title>peak frame ${t.peakFrame}</title></line>`);
    parts.push(`<text x="${Number(px) + 4}" y="${top + 12}" fill="#d00">peak frame ${t.peakFrame} (${t.times[t.peakRow]!.toFixed(2)} s)</text>`);
  }
  parts.push("</svg>");
  return parts.join("");
}

export interface ProsodyTracks {
  hopS: number;
  f0Hz: ReadonlyArray<number | null>;
  levelDb: ReadonlyArray<number | null>;
  /** Time to mark (the peak frame's), seconds. */
  markS?: number;
  /**
   * audio-tone's lip check: each syllable nucleus (seconds, the tracks' clock), how far the face's lips
   * opened for it (null: face not seen) and whether that counts as opened; marked below the loudness panel.
   */
  syllables?: ReadonlyArray<{ atS: number; opening: number | null; opened: boolean }>;
}

/** Pitch (Hz, voiced frames only) and loudness (dB) over time, one panel each, the peak frame's time marked. */
export function renderProsodySvg(p: ProsodyTracks): string {
  const W = 760;
  const left = 40;
  const right = 150;
  const panelH = 90;
  const n = Math.max(p.f0Hz.length, p.levelDb.length);
  const dur = Math.max(n * p.hopS, 1e-6);
  const x = (i: number): number => left + ((i * p.hopS) / dur) * (W - left - right);
  const parts: string[] = [];
  const H = 2 * panelH + 50 + (p.syllables?.length ? 10 : 0);
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" class="prosody" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="pitch and loudness" font-family="sans-serif" font-size="11">`);
  const panel = (values: ReadonlyArray<number | null>, top: number, name: string, unit: string, colour: string): void => {
    const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
    const hi = finite.length ? Math.max(...finite) : 1;
    // Loudness floors (digital silence is -120 dB) would flatten the speech: show the top 60 units at most.
    const lo = finite.length ? Math.max(Math.min(...finite), unit === "dB" ? hi - 60 : -Infinity) : 0;
    const span = hi - lo || 1;
    const y = (v: number): number => top + panelH - ((Math.max(v, lo) - lo) / span) * panelH;
    parts.push(`<rect x="${left}" y="${top}" width="${W - left - right}" height="${panelH}" fill="#fafafa" stroke="#ccc"/>`);
    let d = "";
    values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) {
        d += " ";
        return;
      }
      d += `${d.endsWith(" ") || d === "" ? "M" : "L"}${fmt(x(i))} ${fmt(y(v))}`;
    });
    parts.push(`<path class="track" data-track="${name}" d="${d.trim()}" fill="none" stroke="${colour}" stroke-width="1.4"/>`);
    parts.push(`<text x="${W - right + 10}" y="${top + 14}" fill="${colour}">${name}</text><text x="${W - right + 10}" y="${top + 30}" fill="#555">${finite.length ? `${fmt(lo)} to ${fmt(hi)} ${unit}` : "none"}</text>`);
  };
  panel(p.f0Hz, 10, "pitch", "Hz", "#0072B2");
  panel(p.levelDb, 20 + panelH, "loudness", "dB", "#D55E00");
  parts.push(`<text x="${left}" y="${H - 8}" fill="#555">0 s</text><text x="${W - right}" y="${H - 8}" text-anchor="end" fill="#555">${fmt(dur)} s</text>`);
  for (const s of p.syllables ?? []) {
    if (!(s.atS >= 0 && s.atS <= dur)) continue;
    const sx = fmt(left + (s.atS / dur) * (W - left - right));
    const [kind, fill, note] =
      s.opening === null ? ["unseen", "none", "face not seen"] : s.opened ? ["opened", "#009E73", `lips opened by ${fmt(s.opening)}`] : ["shut", "#fff", `lips did not open (${fmt(s.opening)})`];
    const y0 = 20 + 2 * panelH + 2;
    parts.push(
      `<path class="syllable" data-lips="${kind}" d="M${sx} ${y0}l-4 8h8z" fill="${fill}" stroke="${kind === "unseen" ? "#999" : kind === "opened" ? "#009E73" : "#CC79A7"}"${kind === "unseen" ? ' stroke-dasharray="2 2"' : ""}><title>syllable at ${fmt(s.atS)} s: ${note}</title></path>`,
    );
  }
  if (p.markS !== undefined && p.markS >= 0 && p.markS <= dur) {
    const mx = fmt(left + (p.markS / dur) * (W - left - right));
    parts.push(`<line class="peak-line" x1="${mx}" x2="${mx}" y1="10" y2="${20 + 2 * panelH}" stroke="#d00" stroke-width="2"><title>peak frame</title></line>`);
  }
  parts.push("</svg>");
  return parts.join("");
}
