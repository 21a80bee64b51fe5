import { rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import express, { type Request, type Response } from "express";
import { transcodeToMp4 } from "../adapters/tools/ffmpeg.ts";
import { coerceError, MerrError } from "../core/errors.ts";
import { isIdName } from "../core/ids.ts";
import { tempPathFor, commitTemp, ensureDir } from "../core/fs.ts";
import { isMerrLabel, MERR_LABELS } from "../core/labels.ts";
import { appendReview, REVIEW_ACTIONS, type ReviewAction, type ReviewRecord } from "../core/reviews.ts";
import { guardedApp, listenLocal, type LocalServer, type LocalServerOptions } from "../runtime/local-server.ts";
import { PAGE_CSS, PAGE_HTML } from "./page.ts";
import { PAGE_JS } from "./page-script.ts";
import { filterRows, parseRowQuery, queryRows } from "./rows.ts";
import { RunIndex } from "./run-index.ts";
import { sampleDetail, sampleFiles, sampleInputs } from "./sample-detail.ts";

export interface ViewerOptions extends LocalServerOptions {
  /** The run output directory (`merr build --out`). */
  runDir: string;
  /** Name recorded with each decision when no auth user is known. @defaultValue the OS user name */
  reviewer?: string;
}

export type Viewer = LocalServer;

/** Clips a browser plays as they are; anything else is transcoded once to mp4 under `<run>/cache/view/`. */
const PLAYABLE = new Set([".mp4", ".m4v", ".webm"]);

/**
 * `merr view`: the sample list and sample pages of a run, and the review decisions. Every route sits
 * behind the local guard (and basic auth when credentials are set), installed before the routes.
 */
export async function startViewer(o: ViewerOptions): Promise<Viewer> {
  const runDir = path.resolve(o.runDir);
  const index = new RunIndex(runDir);
  index.refresh();
  const { app, token } = guardedApp(o, "viewer");
  const fallbackReviewer = o.reviewer ?? safeUserName();
  const transcodes = new Map<string, Promise<string>>();

  const known = (req: Request, res: Response): string | undefined => {
    const id = String(req.params.id ?? "");
    // Only a bare id may name a folder under samples/ (Unicode letters included: core/ids.ts).
    if (isIdName(id) && !index.has(id)) index.refreshSample(id); // a sample the build started since the last refresh
    if (!isIdName(id) || !index.has(id)) {
      res.status(404).json({ error: `no sample "${id}" in this run` });
      return undefined;
    }
    return id;
  };
  const fail = (res: Response, error: unknown): void => {
    const e = coerceError(error);
    res.status(e.code === "E_USAGE" || e.code === "E_INPUT_INVALID" ? 400 : 500).json({ error: e.message });
  };

  app.get("/", (_req, res) => void res.type("html").send(PAGE_HTML));
  app.get("/viewer.js", (_req, res) => void res.type("application/javascript").send(PAGE_JS));
  app.get("/viewer.css", (_req, res) => void res.type("text/css").send(PAGE_CSS));

  app.get("/api/run", (_req, res) => {
    res.json({ runDir, labels: MERR_LABELS, actions: REVIEW_ACTIONS, unreadableReviews: index.unreadableReviews });
  });

  app.get("/api/samples", (req, res) => {
    const page = queryRows(index.rows(), parseRowQuery(req.query));
    const unlisted = index.unlistedWarning();
    res.json(unlisted ? { ...page, warnings: [...page.warnings, unlisted] } : page);
  });

  /** The previous and next sample of the list as filtered and sorted on the page. */
  app.get("/api/neighbours/:id", (req, res) => {
    const rows = filterRows(index.rows(), parseRowQuery(req.query));
    const i = rows.findIndex((r) => r.id === req.params.id);
    res.json({ position: i, total: rows.length, prev: i > 0 ? rows[i - 1]!.id : null, next: i >= 0 && i < rows.length - 1 ? rows[i + 1]!.id : null });
  });

  app.get("/api/samples/:id", async (req, res) => {
    const id = known(req, res);
    if (!id) return;
    try {
      index.refreshSample(id); // decisions another viewer of the run made since the last refresh
      res.json(await sampleDetail(runDir, id, index.reviewsOf(id)));
    } catch (error) {
      fail(res, error);
    }
  });

  app.get("/api/samples/:id/peak.jpg", (req, res) => {
    const id = known(req, res);
    if (!id) return;
    const file = sampleFiles(runDir, id).peakImage;
    if (!file) return void res.status(404).json({ error: "no peak frame image" });
    res.sendFile(file, { dotfiles: "allow" }, (error) => error && !res.headersSent && res.status(404).end());
  });

  app.get("/api/samples/:id/clip", async (req, res) => {
    const id = known(req, res);
    if (!id) return;
    const clip = sampleFiles(runDir, id).clip;
    if (!clip) return void res.status(404).json({ error: "the sample names no clip" });
    try {
      let file = clip;
      if (!PLAYABLE.has(path.extname(clip).toLowerCase())) {
        let job = transcodes.get(id);
        if (!job) {
          job = playableCopy(runDir, id, clip).finally(() => transcodes.delete(id));
          transcodes.set(id, job);
        }
        file = await job;
      }
      // The path comes from the sample's own record, so a hidden folder on the way (~/.data/...) is fine.
      res.sendFile(path.resolve(file), { dotfiles: "allow" }, (error) => error && !res.headersSent && res.status(404).end());
    } catch (error) {
      fail(res, error);
    }
  });

  app.post("/api/samples/:id/reviews", express.json({ limit: "64kb" }), async (req, res) => {
    const id = known(req, res);
    if (!id) return;
    try {
      const body = (req.body ?? {}) as { action?: unknown; label?: unknown; caption?: unknown };
      const action = String(body.action ?? "");
      if (!(REVIEW_ACTIONS as readonly string[]).includes(action)) throw new MerrError("E_USAGE", `action must be one of ${REVIEW_ACTIONS.join(", ")}`);
      if (action === "relabel" && !(typeof body.label === "string" && isMerrLabel(body.label))) {
        throw new MerrError("E_USAGE", `relabel needs a label: one of ${MERR_LABELS.join(", ")}`);
      }
      if (action === "caption" && !(typeof body.caption === "string" && body.caption.trim() !== "")) throw new MerrError("E_USAGE", "caption needs the new caption text");
      const record: ReviewRecord = {
        schema: "merr.review/1",
        sample: id,
        action: action as ReviewAction,
        ...(action === "relabel" ? { label: body.label as ReviewRecord["label"] } : {}),
        ...(action === "caption" ? { caption: String(body.caption).trim() } : {}),
        reviewer: typeof res.locals.user === "string" ? res.locals.user : fallbackReviewer,
        at: new Date().toISOString(),
        inputs: sampleInputs(runDir, id),
      };
      const file = await appendReview(runDir, record);
      index.refreshSample(id);
      res.status(201).json({ file, record, detail: await sampleDetail(runDir, id, index.reviewsOf(id)) });
    } catch (error) {
      fail(res, error);
    }
  });

  const stop = new AbortController();
  const refreshing = followRun(index, stop.signal);
  try {
    return await listenLocal(app, o, token, "/", async () => {
      stop.abort();
      await refreshing;
    });
  } catch (error) {
    stop.abort();
    await refreshing;
    throw error;
  }
}

/**
 * Keeps the index up to date while a build writes into the run (or another viewer adds decisions):
 * a background refresh every 2 s, backing off to 30 s while nothing changes.
 */
async function followRun(index: RunIndex, signal: AbortSignal): Promise<void> {
  let waitMs = 2000;
  while (!signal.aborted) {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, waitMs);
      signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
    });
    if (signal.aborted) break;
    const changed = await index.refreshInBackground(signal);
    waitMs = changed ? 2000 : Math.min(30_000, waitMs * 2);
  }
}

/** A browser-playable copy of a clip (H.264/AAC mp4), made once and redone when the clip is newer. */
async function playableCopy(runDir: string, id: string, clip: string): Promise<string> {
  const target = path.join(runDir, "cache", "view", `${id}.mp4`);
  const [src, have] = await Promise.all([stat(clip), stat(target).catch(() => undefined)]);
  if (have && have.mtimeMs >= src.mtimeMs) return target;
  await ensureDir(path.dirname(target));
  const tmp = tempPathFor(target);
  try {
    await transcodeToMp4(clip, tmp, { timeoutMs: 5 * 60_000 });
    await commitTemp(tmp, target);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  return target;
}

function safeUserName(): string {
  try {
    return os.userInfo().username || "reviewer";
  } catch {
    // No passwd entry (some containers): a fixed name; --reviewer sets a real one.
    return "reviewer";
  }
}
