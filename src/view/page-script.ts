/**
 * The viewer page's browser JavaScript (plain ES5-style, no dependency, no build step): the list with its
 * facets and pager, the sample page, the review buttons and the keyboard. Served as /viewer.js.
 */
export const PAGE_JS = String.raw`
"use strict";
(function () {
  var FACETS = ["status", "review", "pseudo", "final", "truth", "agreement", "confidence", "lips", "reason"];
  var COLUMNS = ["id", "status", "reason", "pseudo", "final", "truth", "agreement", "confidence", "review"];
  var LABELS = [];
  var app = document.getElementById("app");
  var current = null; // the sample shown: { id, detail, nav }

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function toast(text) {
    var t = document.getElementById("toast");
    t.textContent = text;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { t.textContent = ""; }, 4000);
  }
  function getJson(url) {
    return fetch(url, { headers: { accept: "application/json" } }).then(function (r) {
      return r.json().then(function (body) { if (!r.ok) throw new Error(body.error || r.statusText); return body; });
    });
  }
  function route() {
    var h = location.hash.replace(/^#/, "") || "/list";
    var q = h.indexOf("?");
    var pathPart = q < 0 ? h : h.slice(0, q);
    var params = new URLSearchParams(q < 0 ? "" : h.slice(q + 1));
    var m = /^\/sample\/([^/]+)$/.exec(pathPart);
    return m ? { view: "sample", id: decodeURIComponent(m[1]), params: params } : { view: "list", params: params };
  }
  function listParams(params) {
    var p = new URLSearchParams();
    params.forEach(function (v, k) { if (FACETS.indexOf(k) >= 0 || ["q", "sort", "desc", "page", "size"].indexOf(k) >= 0) p.set(k, v); });
    return p;
  }
  function go(hash) { if (location.hash === hash) render(); else location.hash = hash; }

  // ---- sample list ----
  function renderList(params) {
    return getJson("api/samples?" + listParams(params).toString()).then(function (page) {
      current = null;
      var html = '<div class="list"><aside class="facets">';
      html += '<input id="search" type="search" placeholder="sample id contains… (/)" value="' + esc(params.get("q") || "") + '">';
      FACETS.forEach(function (f) {
        var counts = page.facets[f] || {};
        var chosen = (params.get(f) || "").split(",").filter(Boolean);
        var keys = Object.keys(counts).sort(function (a, b) { return counts[b] - counts[a] || (a < b ? -1 : 1); });
        chosen.forEach(function (c) { if (keys.indexOf(c) < 0) keys.push(c); });
        if (!keys.length) return;
        html += "<h3>" + esc(f) + "</h3>";
        keys.forEach(function (k) {
          html += '<label><input type="checkbox" data-facet="' + esc(f) + '" value="' + esc(k) + '"' + (chosen.indexOf(k) >= 0 ? " checked" : "") + "> " +
            esc(k) + ' <span class="count">' + (counts[k] || 0) + "</span></label>";
        });
      });
      html += "</aside><div>";
      html += '<div class="dist">' + dist("final labels", page.distribution.final) + dist("pseudo-labels", page.distribution.pseudo) + "</div>";
      page.warnings.forEach(function (w) { html += '<div class="warning">' + esc(w) + "</div>"; });
      var pages = Math.max(1, Math.ceil(page.total / page.size));
      var pager = function (top) { return '<div class="pager"><button data-page="' + (page.page - 1) + '"' + (page.page <= 0 ? " disabled" : "") + '>&larr; previous</button>' +
        (top ? '<span id="counter">' : "<span>") + page.total + " of " + page.all + " samples · page " + (page.page + 1) + " of " + pages + "</span>" +
        '<button data-page="' + (page.page + 1) + '"' + (page.page + 1 >= pages ? " disabled" : "") + ">next &rarr;</button></div>"; };
      html += pager(true) + '<table class="rows"><thead><tr>';
      var sort = params.get("sort") || "id";
      var desc = params.get("desc") === "1";
      COLUMNS.forEach(function (c) { html += '<th data-sort="' + c + '">' + c + (sort === c ? (desc ? " ▼" : " ▲") : "") + "</th>"; });
      html += "</tr></thead><tbody>";
      page.rows.forEach(function (r) {
        html += '<tr class="row" data-id="' + esc(r.id) + '"><td>' + esc(r.id) + '</td><td><span class="badge ' + esc(r.status) + '">' + esc(r.status) + "</span></td>" +
          '<td title="' + esc(r.reason || "") + '">' + esc(r.reasons.join(", ")) + "</td><td>" + esc(r.pseudo || "") + "</td><td>" + esc(r.final || "") + "</td><td>" +
          esc(r.truth || "") + "</td><td>" + esc(r.agreement) + "</td><td>" + (r.confidence == null ? "" : r.confidence.toFixed(2)) + '</td><td><span class="badge ' +
          esc(r.review) + '">' + esc(r.review) + (r.reviewedLabel ? " → " + esc(r.reviewedLabel) : "") + (r.stale && r.review !== "stale" ? " (stale)" : "") + "</span></td></tr>";
      });
      html += "</tbody></table>" + pager(false) + "</div></div>";
      app.innerHTML = html;
      app.querySelectorAll("input[data-facet]").forEach(function (box) {
        box.addEventListener("change", function () {
          var p = listParams(params);
          var f = box.getAttribute("data-facet");
          var vals = (p.get(f) || "").split(",").filter(Boolean).filter(function (v) { return v !== box.value; });
          if (box.checked) vals.push(box.value);
          if (vals.length) p.set(f, vals.join(",")); else p.delete(f);
          p.delete("page");
          go("#/list?" + p.toString());
        });
      });
      var search = document.getElementById("search");
      search.addEventListener("change", function () {
        var p = listParams(params);
        if (search.value.trim()) p.set("q", search.value.trim()); else p.delete("q");
        p.delete("page");
        go("#/list?" + p.toString());
      });
      app.querySelectorAll("th[data-sort]").forEach(function (th) {
        th.addEventListener("click", function () {
          var p = listParams(params);
          var k = th.getAttribute("data-sort");
          if (p.get("sort") === k || (!p.get("sort") && k === "id")) { if (p.get("desc") === "1") p.delete("desc"); else p.set("desc", "1"); }
          else { p.set("sort", k); p.delete("desc"); }
          go("#/list?" + p.toString());
        });
      });
      app.querySelectorAll("button[data-page]").forEach(function (b) {
        b.addEventListener("click", function () { var p = listParams(params); p.set("page", b.getAttribute("data-page")); go("#/list?" + p.toString()); });
      });
      app.querySelectorAll("tr.row").forEach(function (tr) {
        tr.addEventListener("click", function () { go("#/sample/" + encodeURIComponent(tr.getAttribute("data-id")) + "?" + listParams(params).toString()); });
      });
    });
  }
  function dist(title, counts) {
    var total = 0;
    Object.keys(counts).forEach(function (k) { total += counts[k]; });
    var html = '<div><b>' + esc(title) + "</b> (" + total + ")<br>";
    Object.keys(counts).sort(function (a, b) { return counts[b] - counts[a]; }).forEach(function (k) {
      var pct = total ? Math.round((100 * counts[k]) / total) : 0;
      html += '<span class="bar" style="width:' + Math.max(2, pct * 1.5) + 'px"></span>' + esc(k) + " " + counts[k] + " (" + pct + "%)<br>";
    });
    return html + "</div>";
  }

  // ---- sample page ----
  function renderSample(id, params) {
    var lp = listParams(params);
    return Promise.all([getJson("api/samples/" + encodeURIComponent(id)), getJson("api/neighbours/" + encodeURIComponent(id) + "?" + lp.toString())]).then(function (res) {
      current = { id: id, detail: res[0], nav: res[1], params: lp };
      drawSample();
    });
  }
  function kv(pairs) {
    var html = '<dl class="kv">';
    pairs.forEach(function (p) { if (p[1] !== undefined && p[1] !== null && p[1] !== "") html += "<dt>" + esc(p[0]) + "</dt><dd>" + esc(p[1]) + "</dd>"; });
    return html + "</dl>";
  }
  function drawSample() {
    var d = current.detail;
    var nav = current.nav;
    var r = d.review;
    var lab = d.labels;
    var html = '<div class="sample"><div>';
    html += "<h2>" + esc(d.id) + ' <span class="badge ' + esc(d.status) + '">' + esc(d.status) + "</span></h2>";
    html += '<p><a href="#/list?' + current.params.toString() + '">&larr; list</a> · ' +
      (nav.prev ? '<a href="#/sample/' + encodeURIComponent(nav.prev) + "?" + current.params.toString() + '">previous (k)</a>' : '<span class="muted">previous</span>') + " · " +
      (nav.next ? '<a href="#/sample/' + encodeURIComponent(nav.next) + "?" + current.params.toString() + '">next (j)</a>' : '<span class="muted">next</span>') +
      ' <span class="muted">' + (nav.position + 1) + " of " + nav.total + "</span></p>";
    html += '<section class="media"><div><h3>clip</h3><video id="clip" controls preload="metadata" src="api/samples/' + encodeURIComponent(d.id) + '/clip"></video>';
    html += '<div class="scrub" id="scrub" title="red: peak frame"><div class="pos" id="pos"></div>' + (d.peak ? '<div class="peakmark" id="peakmark"></div>' : "") + "</div>";
    if (d.peak) html += '<button id="topeak">go to peak (p)</button> <span class="muted">frame ' + d.peak.frame + " at " + d.peak.timeS.toFixed(2) + " s (" + esc(d.peak.method || "") + ")</span>";
    html += "</div><div><h3>peak frame</h3>" + (d.peak && d.peak.image ? '<img class="peak" id="peakimg" alt="peak frame" src="api/samples/' + encodeURIComponent(d.id) + '/peak.jpg">' : '<p class="muted">no peak frame image</p>') + "</div></section>";
    html += '<section class="curate"><h3>review</h3>';
    html += "<p>" + (r.decision ? '<span class="badge ' + esc(r.decision) + '">' + esc(r.decision) + "</span> " : '<span class="badge">unreviewed</span> ') +
      (r.label ? "label → <b>" + esc(r.label) + "</b> " : "") + (r.reviewers.length ? "by " + esc(r.reviewers.join(", ")) : "") + "</p>";
    if (r.captionMismatch) html += '<div class="warning" id="captionmismatch">' + esc(r.captionMismatch) + "</div>";
    if (r.stale) html += '<div class="warning" id="stale">' + r.stale + " decision(s) were made before the sample's inputs changed (" + esc(r.staleStages.join(", ")) + "): they are not applied; decide again.</div>";
    html += '<button id="accept">accept <span class="kbd">a</span></button><button id="reject">reject <span class="kbd">x</span></button><br>';
    LABELS.forEach(function (l, i) {
      var cur = (r.label || lab.final || lab.pseudo) === l;
      html += '<button class="label' + (cur ? " current" : "") + '" data-label="' + esc(l) + '">' + esc(l) + ' <span class="kbd">' + (i + 1) + "</span></button>";
    });
    html += '<p><label for="caption">fine caption <span class="kbd">e</span> to edit, <span class="kbd">ctrl+enter</span> to save</label><textarea id="caption">' +
      esc(r.caption || d.captions.fine || "") + '</textarea><button id="savecaption">save caption</button></p>';
    if (r.history.length) {
      html += '<details><summary>' + r.history.length + " decision(s)</summary><ul>";
      r.history.forEach(function (h) {
        html += "<li>" + esc(h.at) + " " + esc(h.reviewer) + ": " + esc(h.action) + (h.label ? " " + esc(h.label) : "") + (h.staleStages.length ? ' <span class="badge stale">stale: ' + esc(h.staleStages.join(", ")) + "</span>" : "") + "</li>";
      });
      html += "</ul></details>";
    }
    html += '<p class="muted">keys: <span class="kbd">j</span>/<span class="kbd">k</span> next/previous, <span class="kbd">1</span>-<span class="kbd">9</span> relabel, <span class="kbd">a</span> accept, <span class="kbd">x</span> reject, <span class="kbd">p</span> peak, <span class="kbd">esc</span> list</p>';
    html += "</section></div><div>";
    html += "<section><h3>labels</h3>" + kv([["pseudo-label (AU rules)", lab.pseudo], ["final label", lab.final], ["ground truth (given)", lab.truth], ["fine conditioned on", lab.conditioning], ["confidence", lab.confidence == null ? "" : lab.confidence.toFixed(3)]]) + "</section>";
    if (d.reasons.length || d.transcriptRejected) {
      html += '<section><h3>why not done</h3><ul id="reasons">';
      d.reasons.forEach(function (x) { html += "<li><b>" + esc(x.stage) + "</b> [" + esc(x.code) + "] " + esc(x.message) + "</li>"; });
      if (d.transcriptRejected) html += "<li>transcript rejected: " + esc(d.transcriptRejected) + "</li>";
      html += "</ul></section>";
    }
    if (d.au) {
      html += '<section id="au"><h3>AU timeline and rule</h3>';
      html += kv([["decision", d.au.decision ? d.au.decision.status + ": " + d.au.decision.reason : ""], ["rule fired", d.au.emotion], ["AU_list", d.au.auList.join(", ")],
        ["visual_prior_list", d.au.visualPriorList.join("; ")], ["active at peak", d.au.peakAuList.join(", ")],
        ["fine AU_list" + (d.au.fine ? " (" + d.au.fine.label + ")" : ""), d.au.fine ? (d.au.fine.aus.length ? d.au.fine.aus.join(", ") + " (" + d.au.fine.phrases.join("; ") + ")" : "none") : ""],
        ["rules that fired", d.au.candidates.map(function (c) { return c.emotion + " (" + (c.aus || []).join("+") + ", " + c.score + ")"; }).join("; ") || "none"],
        ["rule set", d.au.rules ? d.au.rules.id + "@" + d.au.rules.version + " " + d.au.rules.hash : ""]]);
      html += d.au.timelineSvg ? '<div id="timeline">' + d.au.timelineSvg + "</div>" : '<p class="muted">' + esc(d.au.timelineNote) + "</p>";
      html += "</section>";
    }
    if (d.tone) {
      html += '<section id="tone"><h3>tone</h3><p>' + esc(d.tone.description || "(no description)") + (d.tone.arousal != null ? ' <span class="muted">arousal ' + d.tone.arousal + "</span>" : "") + "</p>";
      if (d.tone.lipSync) {
        var ls = d.tone.lipSync;
        html += '<p id="lips"><span class="muted">lips:</span> ' + esc(ls.verdict) + ' <span class="muted">(opened for ' + ls.opened + " of " + ls.seen + " syllables with the face in view; " + ls.syllables + " spoken)</span>" +
          (ls.verdict === "still" ? "; the captions do not give the voice to the person" : "") + "</p>";
      }
      if (d.tone.svg) html += d.tone.svg;
      if (d.tone.features) {
        var f = d.tone.features;
        html += "<details><summary>measured features</summary>" + kv(Object.keys(f).slice(0, 40).map(function (k) { return [k, typeof f[k] === "object" ? JSON.stringify(f[k]) : f[k]]; })) + "</details>";
      }
      html += "</section>";
    }
    html += "<section><h3>transcript</h3><p id=\"transcript\">" + esc(d.transcript.text || "(none)") + ' <span class="muted">' + esc(d.transcript.source || "") + "</span></p>" +
      (d.transcript.spoken ? '<p id="spoken"><span class="muted">as spoken:</span> ' + esc(d.transcript.spoken) + "</p>" : "") + "</section>";
    if (d.visual) html += "<section><h3>visual description</h3><p>" + esc(d.visual) + "</p></section>";
    html += '<section><h3>coarse caption</h3><p id="coarse">' + esc(d.captions.coarse || "(none)") + "</p></section>";
    html += '<section><h3>fine caption</h3><p id="fine">' + esc(d.captions.fine || "(none)") + "</p>" + (r.caption ? '<p><b>edited:</b> ' + esc(r.caption) + "</p>" : "") + "</section>";
    html += '<section><h3>stages and provenance</h3><table class="rows"><tr><th>stage</th><th>status</th><th>v</th><th>provenance</th></tr>';
    Object.keys(d.stages).forEach(function (name) {
      var s = d.stages[name];
      html += "<tr><td>" + esc(name) + '</td><td><span class="badge ' + esc(s.status) + '">' + esc(s.status) + "</span>" + (s.code ? " [" + esc(s.code) + "] " + esc(s.message || "") : "") +
        "</td><td>" + esc(s.version) + "</td><td><pre>" + esc(JSON.stringify(s.provenance)) + "</pre></td></tr>";
    });
    html += "</table></section>";
    if (d.sample) html += "<section><h3>source</h3>" + kv([["path", d.sample.path], ["source", d.sample.source], ["label", d.sample.label], ["duration", d.durationS], ["fps", d.fps]]) + "</section>";
    html += "</div></div>";
    app.innerHTML = html;
    wireSample();
  }
  function wireSample() {
    var d = current.detail;
    var video = document.getElementById("clip");
    var scrub = document.getElementById("scrub");
    var pos = document.getElementById("pos");
    function duration() { return isFinite(video.duration) && video.duration > 0 ? video.duration : d.durationS || 1; }
    function place() {
      var mark = document.getElementById("peakmark");
      if (mark && d.peak) mark.style.left = Math.min(100, (100 * d.peak.timeS) / duration()) + "%";
      pos.style.left = Math.min(100, (100 * (video.currentTime || 0)) / duration()) + "%";
    }
    video.addEventListener("loadedmetadata", place);
    video.addEventListener("timeupdate", place);
    place();
    scrub.addEventListener("click", function (ev) {
      var box = scrub.getBoundingClientRect();
      video.currentTime = ((ev.clientX - box.left) / box.width) * duration();
    });
    var topeak = document.getElementById("topeak");
    if (topeak) topeak.addEventListener("click", toPeak);
    document.getElementById("accept").addEventListener("click", function () { decide({ action: "accept" }); });
    document.getElementById("reject").addEventListener("click", function () { decide({ action: "reject" }); });
    app.querySelectorAll("button[data-label]").forEach(function (b) {
      b.addEventListener("click", function () { decide({ action: "relabel", label: b.getAttribute("data-label") }); });
    });
    document.getElementById("savecaption").addEventListener("click", saveCaption);
  }
  function toPeak() {
    var video = document.getElementById("clip");
    if (current && current.detail.peak && video) { video.pause(); video.currentTime = current.detail.peak.timeS; }
  }
  function saveCaption() {
    var text = document.getElementById("caption").value.trim();
    if (!text) return toast("the caption is empty");
    decide({ action: "caption", caption: text });
  }
  function decide(body) {
    if (!current) return;
    var id = current.id;
    return fetch("api/samples/" + encodeURIComponent(id) + "/reviews", {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
    }).then(function (r) {
      return r.json().then(function (res) {
        if (!r.ok) throw new Error(res.error || r.statusText);
        if (current && current.id === id) { current.detail = res.detail; drawSample(); }
        toast("saved: " + id + " " + body.action + (body.label ? " " + body.label : "") + " by " + res.record.reviewer);
      });
    }).catch(function (e) { toast("not saved: " + e.message); });
  }

  document.addEventListener("keydown", function (ev) {
    var t = ev.target;
    var typing = t && (t.tagName === "TEXTAREA" || t.tagName === "INPUT");
    if (typing) {
      if (t.id === "caption" && ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); saveCaption(); }
      else if (ev.key === "Escape") t.blur();
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (!current) {
      if (ev.key === "/") { ev.preventDefault(); var s = document.getElementById("search"); if (s) s.focus(); }
      return;
    }
    var nav = current.nav;
    var q = current.params.toString();
    if ((ev.key === "j" || ev.key === "ArrowRight") && nav.next) go("#/sample/" + encodeURIComponent(nav.next) + "?" + q);
    else if ((ev.key === "k" || ev.key === "ArrowLeft") && nav.prev) go("#/sample/" + encodeURIComponent(nav.prev) + "?" + q);
    else if (ev.key === "a") decide({ action: "accept" });
    else if (ev.key === "x" || ev.key === "r") decide({ action: "reject" });
    else if (ev.key === "p") toPeak();
    else if (ev.key === "e") { ev.preventDefault(); document.getElementById("caption").focus(); }
    else if (ev.key === "Escape") go("#/list?" + q);
    else if (/^[1-9]$/.test(ev.key) && LABELS[Number(ev.key) - 1]) decide({ action: "relabel", label: LABELS[Number(ev.key) - 1] });
    else return;
    ev.preventDefault();
  });

  function render() {
    var r = route();
    var p = r.view === "sample" ? renderSample(r.id, r.params) : renderList(r.params);
    p.then(function () { document.body.setAttribute("data-view", r.view); }, function (e) { app.innerHTML = '<div class="warning">' + esc(e.message) + "</div>"; });
  }
  window.addEventListener("hashchange", render);
  getJson("api/run").then(function (run) {
    LABELS = run.labels;
    var runEl = document.getElementById("run");
    runEl.title = run.runDir;
    runEl.textContent = run.runDir.split("/").pop() + (run.unreadableReviews.length ? " · " + run.unreadableReviews.length + " unreadable review files" : "");
    render();
  });
})();
`;
