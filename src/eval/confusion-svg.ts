import type { Metrics } from "./metrics.ts";

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** Cell colour: white to deep blue by the row-normalised share. */
function shade(share: number): string {
  const t = Math.max(0, Math.min(1, share));
  const mix = (from: number, to: number): number => Math.round(from + (to - from) * t);
  return `rgb(${mix(247, 8)},${mix(251, 48)},${mix(255, 107)})`;
}

/**
 * A confusion matrix as a standalone SVG: rows are ground truth, columns predictions; each cell shows
 * the count and the share of its row, shaded by that share. The title carries WAR, UAR and weighted F1.
 */
export function renderConfusionSvg(m: Metrics, title: string): string {
  const cell = 64;
  const left = 110;
  const top = 120;
  const width = left + m.columns.length * cell + 30;
  const height = top + m.rows.length * cell + 60;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="24" font-size="16" font-weight="bold" text-anchor="middle">${esc(title)}</text>`,
    `<text x="${width / 2}" y="46" font-size="12" text-anchor="middle">n=${m.n}  WAR ${pct(m.war)}  UAR ${pct(m.uar)}  weighted F1 ${pct(m.weightedF1)}${m.missing ? `  no prediction ${m.missing}` : ""}</text>`,
    `<text x="${left + (m.columns.length * cell) / 2}" y="${top - 44}" font-size="12" text-anchor="middle" font-style="italic">predicted</text>`,
    `<text transform="translate(18 ${top + (m.rows.length * cell) / 2}) rotate(-90)" font-size="12" text-anchor="middle" font-style="italic">ground truth</text>`,
  ];
  const diagonal: string[] = [];
  m.columns.forEach((c, j) => {
    const x = left + j * cell + cell / 2;
    parts.push(`<text transform="translate(${x} ${top - 8}) rotate(-35)" font-size="12">${esc(c)}</text>`);
  });
  m.rows.forEach((r, i) => {
    const y = top + i * cell;
    const total = m.confusion[i]!.reduce((a, b) => a + b, 0);
    parts.push(`<text x="${left - 8}" y="${y + cell / 2 + 4}" font-size="12" text-anchor="end">${esc(r)} (${total})</text>`);
    m.columns.forEach((c, j) => {
      const count = m.confusion[i]![j]!;
      const share = total ? count / total : 0;
      const x = left + j * cell;
      const dark = share > 0.5;
      parts.push(
        `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${shade(share)}" stroke="#cccccc" stroke-width="1"/>`,
        `<text x="${x + cell / 2}" y="${y + cell / 2 - 2}" font-size="14" text-anchor="middle" fill="${dark ? "#ffffff" : "#000000"}">${count}</text>`,
        `<text x="${x + cell / 2}" y="${y + cell / 2 + 14}" font-size="10" text-anchor="middle" fill="${dark ? "#ffffff" : "#555555"}">${count ? pct(share) : ""}</text>`,
      );
      // The diagonal (correct answers) is outlined last so neighbouring cells do not paint over it.
      if (r === c) diagonal.push(`<rect x="${x + 1}" y="${y + 1}" width="${cell - 2}" height="${cell - 2}" fill="none" stroke="#d62728" stroke-width="2"/>`);
    });
  });
  parts.push(...diagonal, `</svg>`);
  return `${parts.join("\n")}\n`;
}
