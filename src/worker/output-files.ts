// The save action's files: each task writes its partition to an attempt-private
// file under <output>/_temporary/<attempt>/ and publishes it with one rename to
// <output>/part-NNNNN, so a retried or duplicated attempt never leaves a partial
// or doubled part file. _SUCCESS is written by commitOutput once the master has
// seen every partition committed. Used by task threads (writing parts) and the
// worker's HTTP handlers (prepare, commit).
import fs from "node:fs";
import { join } from "node:path";
import { MinisparkError } from "../common/errors.js";
import { checkOutputPath } from "../plan/paths.js";
import type { ResultAction } from "../plan/physical.js";

export function outputDir(dataDir: string, path: string): string {
  const bad = checkOutputPath(path);
  if (bad) throw new MinisparkError("BAD_REQUEST", `output path ${bad}`);
  return join(dataDir, "outputs", path);
}

export function partFileName(partition: number): string {
  return `part-${String(partition).padStart(5, "0")}`;
}

type SaveAction = ResultAction & { type: "save" };

export class PartFileWriter {
  private readonly fd: number;
  private readonly tmp: string;
  private buf: string[] = [];
  private bufChars = 0;
  private csvColumns: string[] | null = null;
  records = 0;

  constructor(private readonly dir: string, private readonly partition: number, attemptId: string, private readonly action: SaveAction) {
    const tmpDir = join(dir, "_temporary", attemptId);
    fs.mkdirSync(tmpDir, { recursive: true });
    this.tmp = join(tmpDir, partFileName(partition));
    this.fd = fs.openSync(this.tmp, "w");
  }

  add(rec: unknown): void {
    this.records++;
    const line = this.format(rec);
    this.buf.push(line);
    this.bufChars += line.length;
    if (this.bufChars > 1 << 20) this.flush();
  }

  private format(rec: unknown): string {
    switch (this.action.format) {
      case "text":
        return typeof rec === "string" ? rec : JSON.stringify(rec);
      case "jsonl":
        return JSON.stringify(rec);
      case "csv":
        return this.csvLine(rec);
    }
  }

  private csvLine(rec: unknown): string {
    if (Array.isArray(rec)) return rec.map(csvField).join(",");
    if (rec !== null && typeof rec === "object") {
      if (!this.csvColumns) {
        this.csvColumns = Object.keys(rec);
        if (this.action.header) this.buf.push(this.csvColumns.map(csvField).join(","));
      }
      const o = rec as Record<string, unknown>;
      return this.csvColumns.map((c) => csvField(o[c])).join(",");
    }
    return csvField(rec);
  }

  private flush(): void {
    if (this.buf.length === 0) return;
    fs.writeSync(this.fd, this.buf.join("\n") + "\n");
    this.buf = [];
    this.bufChars = 0;
  }

  /** Publishes the part file; returns its name. */
  commit(): string {
    this.flush();
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    const name = partFileName(this.partition);
    fs.renameSync(this.tmp, join(this.dir, name));
    return name;
  }

  abort(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
    fs.rmSync(this.tmp, { force: true });
  }
}

function csvField(v: unknown): string {
  if (v === null || v === undefined) return "";
  const s = typeof v === "string" ? v : typeof v === "object" ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const MARKER = "_JOB";

/**
 * Before a save job runs: reserve the output directory for the job with a
 * marker holding its id, refusing an output that exists (mode "error") or
 * clearing it (mode "overwrite"). Every worker is asked; on a shared volume the
 * first reserves and the others find the job's own marker. A job that finds its
 * own marker (a restarted master resuming it) clears its earlier partial output.
 */
export function prepareOutput(dataDir: string, path: string, mode: "error" | "overwrite", jobId: string): void {
  const dir = outputDir(dataDir, path);
  if (fs.existsSync(dir)) {
    const owner = readMarker(dir);
    if (owner === jobId) {
      for (const f of fs.readdirSync(dir)) if (f !== MARKER) fs.rmSync(join(dir, f), { recursive: true, force: true });
      return;
    }
    if (mode === "error") {
      const by = owner ? ` (job ${owner} is writing it)` : "";
      throw new MinisparkError("OUTPUT_EXISTS", `output path "${path}" already exists${by}; remove it or save with "mode": "overwrite"`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  reserve(dir, path, jobId);
}

/**
 * Makes the directory appear with its marker already inside (built under a
 * temporary name, then renamed), so a worker racing on a shared volume never
 * sees it without its owner.
 */
function reserve(dir: string, path: string, jobId: string): void {
  fs.mkdirSync(join(dir, ".."), { recursive: true });
  const tmp = `${dir}.${jobId}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  fs.mkdirSync(tmp);
  fs.writeFileSync(join(tmp, MARKER), jobId);
  try {
    fs.renameSync(tmp, dir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    const code = (e as NodeJS.ErrnoException).code;
    const owner = readMarker(dir);
    if ((code !== "ENOTEMPTY" && code !== "EEXIST") || owner !== jobId) {
      throw new MinisparkError("OUTPUT_EXISTS", `output path "${path}" was just taken${owner ? ` by job ${owner}` : ""}`);
    }
  }
}

function readMarker(dir: string): string | null {
  try {
    return fs.readFileSync(join(dir, MARKER), "utf8");
  } catch {
    return null;
  }
}

/**
 * After every partition is committed: check the job still owns the output and
 * that the parts this worker wrote are there, drop temporaries, write _SUCCESS,
 * then drop the marker. The master calls it on every worker that wrote parts;
 * on a shared volume a later call finds the marker gone and _SUCCESS written
 * by an earlier one, which is fine.
 */
export function commitOutput(dataDir: string, path: string, files: string[], jobId: string): void {
  const dir = outputDir(dataDir, path);
  const owner = readMarker(dir);
  const committedByPeer = owner === null && fs.existsSync(join(dir, "_SUCCESS"));
  if (owner !== jobId && !committedByPeer) {
    throw new MinisparkError("CONFLICT", `output "${path}" no longer belongs to job ${jobId}${owner ? ` (job ${owner} took it over)` : ""}`);
  }
  const missing = files.filter((f) => !fs.existsSync(join(dir, f)));
  if (missing.length > 0) {
    throw new MinisparkError("CONFLICT", `output "${path}" is missing ${missing.length} part file(s) here, e.g. ${missing[0]}`);
  }
  fs.rmSync(join(dir, "_temporary"), { recursive: true, force: true });
  fs.writeFileSync(join(dir, "_SUCCESS"), "");
  fs.rmSync(join(dir, MARKER), { force: true });
}
