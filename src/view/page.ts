/**
 * The viewer's one page: plain HTML and CSS here, the browser JavaScript in page-script.ts; no build step, no dependency.
 * The server draws the charts (svg.ts) and does the filtering (rows.ts); the page lays them out and
 * sends review decisions. Kept as strings so `npm run build` ships them with the compiled code.
 */

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>merr view</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="viewer.css">
</head>
<body>
<header><a href="#/list" id="home">merr view</a> <span id="run"></span> <span id="toast" role="status"></span></header>
<main id="app">loading…</main>
<script src="viewer.js"></script>
</body>
</html>
`;

export const PAGE_CSS = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #222; background: #fff; }
header { padding: 8px 16px; background: #263238; color: #eee; display: flex; gap: 16px; align-items: baseline; }
header a { color: #fff; font-weight: bold; text-decoration: none; }
#run { color: #aaa; font-size: 12px; }
#toast { margin-left: auto; color: #b9f6ca; }
main { padding: 12px 16px; }
.list { display: grid; grid-template-columns: 230px 1fr; gap: 16px; }
.facets h3 { font-size: 12px; text-transform: uppercase; color: #666; margin: 12px 0 4px; }
.facets label { display: flex; gap: 4px; font-size: 13px; cursor: pointer; }
.facets .count { margin-left: auto; color: #777; }
table.rows { border-collapse: collapse; width: 100%; }
table.rows th, table.rows td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eee; font-size: 13px; }
table.rows th { cursor: pointer; user-select: none; background: #f5f5f5; }
table.rows tr.row:hover { background: #eef6ff; cursor: pointer; }
.badge { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 12px; background: #eee; }
.badge.done, .badge.accepted { background: #c8e6c9; } .badge.filtered { background: #fff3c4; }
.badge.skipped { background: #e0e0e0; } .badge.failed, .badge.rejected { background: #ffcdd2; }
.badge.relabelled { background: #bbdefb; } .badge.stale { background: #ffe0b2; }
.warning { background: #fff3e0; border-left: 4px solid #fb8c00; padding: 6px 10px; margin: 6px 0; }
.dist { display: flex; gap: 24px; flex-wrap: wrap; margin-bottom: 8px; }
.bar { display: inline-block; height: 10px; background: #1976d2; vertical-align: middle; margin-right: 4px; }
.pager { margin: 8px 0; display: flex; gap: 8px; align-items: center; }
.sample { display: grid; grid-template-columns: minmax(420px, 580px) 1fr; gap: 20px; }
.media { display: grid; grid-template-columns: 1fr 1fr; gap: 8px; }
.sample > div { min-width: 0; }
.sample h2 { margin: 0 0 6px; font-size: 18px; }
section { margin-bottom: 16px; }
section h3 { font-size: 13px; text-transform: uppercase; color: #555; margin: 0 0 6px; border-bottom: 1px solid #eee; }
video, img.peak { width: 100%; background: #000; }
.scrub { position: relative; height: 14px; background: #e0e0e0; margin: 4px 0; cursor: pointer; }
.scrub .pos { position: absolute; top: 0; bottom: 0; width: 2px; background: #333; }
.scrub .peakmark { position: absolute; top: -3px; bottom: -3px; width: 3px; background: #d00; }
.curate button { margin: 2px; }
.curate button.current { outline: 2px solid #1976d2; }
textarea { width: 100%; min-height: 90px; font: inherit; }
.kbd { font-family: monospace; background: #eee; border-radius: 3px; padding: 0 4px; font-size: 12px; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
dl.kv dt { color: #666; } dl.kv dd { margin: 0; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 12px; background: #f7f7f7; padding: 6px; margin: 0; }
.muted { color: #777; }
svg { max-width: 100%; height: auto; }
`;
