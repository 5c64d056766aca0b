// The save action's files on one worker's disk, in four steps the master drives
// (Hadoop's FileOutputCommitter, with Spark's OutputCommitCoordinator on the
// master deciding which attempt's file counts):
//
//   prepare   reserve <outputs>/<path> for the job: a directory holding the
//             marker _JOB (the owner's id) and _temporary/<job>/, made under a
//             hidden name and renamed into place;
//   task      each attempt writes <path>/_temporary/<job>/<attempt>/part-NNNNN,
//             which no reader takes for output (a task publishes nothing);
//   publish   at job commit, the authorised attempt's file of each partition is
//             renamed to <path>/part-NNNNN;
//   finalize  _SUCCESS ({"job", "files", "partitions"}) appears, then the marker
//             and _temporary go.
//   abort     a job that failed (or a worker that wrote nothing for it) removes
//             what it reserved.
//
// An attempt may stage only while its job owns the path (the marker names it)
// and its _temporary/<job>/ exists, which both end at finalize, abort or a
// takeover: an attempt that wakes after its job ended has nowhere to write.
// Confinement: every component below the data directory is checked with lstat
// (a real directory, never a symlink) before use, files are created with
// O_CREAT|O_EXCL|O_NOFOLLOW, renames stay inside one checked directory, and no
// removal goes through a symlink. Node has no openat(), so a swap of a checked
// component by someone who can write the data directory in the instant between
// check and use is not covered.
// Used by task threads (staging parts: StagedPartFile is the local PartSink,
// part-writer.ts puts the format and compression in front), the worker's
// /outputs/* handlers and the inline runner.
import fs from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { MinisparkError } from "../common/errors.js";
import { checkOutputPath } from "../plan/paths.js";
import { isS3Url } from "../plan/s3-location.js";
import { PART_EXTENSIONS, extensionOf } from "./compression.js";
import type { SaveAction } from "./part-encoder.js";
import type { PartSink } from "./part-sink.js";

const MARKER = "_JOB";
const TEMP = "_temporary";
const SUCCESS = "_SUCCESS";
const { O_WRONLY, O_RDONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
/** A marker or _SUCCESS larger than this is not ours. */
const MAX_META_BYTES = 1 << 20;

/** What a committed output's _SUCCESS holds. */
export interface SuccessFile {
  job: string;
  /** The part files in this directory (on per-worker disks: those this worker published). */
  files: string[];
  /** How many partitions the job wrote in all. */
  partitions: number;
}

/** `part-NNNNN`, with the compression's extension when the part is compressed (`part-00000.gz`). */
export function partFileName(partition: number, extension = ""): string {
  return `part-${String(partition).padStart(5, "0")}${extension}`;
}

/** A Parquet part's extension (its compression is inside the file), so that `*.parquet` globs find the parts. */
const PARQUET_EXTENSION = ".parquet";

/** Every extension a part file may have after its number. */
const ALL_PART_EXTENSIONS = [...PART_EXTENSIONS, PARQUET_EXTENSION];

/** Whether `name` is a part file: plain, or with a compression's or Parquet's extension. */
export function isPartFileName(name: string): boolean {
  const m = /^part-\d{5,}(\.[a-z0-9]+)?$/.exec(name);
  return m !== null && (m[1] === undefined || ALL_PART_EXTENSIONS.includes(m[1]));
}

/** The names partition `partition`'s part may have, plain first: a publish finds whichever its attempt staged. */
function partFileNames(partition: number): string[] {
  return ["", ...ALL_PART_EXTENSIONS].map((ext) => partFileName(partition, ext));
}

/**
 * Ids become directory names here, so each is checked where it is used, not
 * trusted from the sender: a leading letter or digit (no ".", "..", hidden
 * names), then letters, digits and . _ @ - only.
 */
export function checkIdSegment(what: string, id: unknown): string {
  if (typeof id !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._@-]{0,199}$/.test(id)) {
    throw new MinisparkError("BAD_REQUEST", `${what} ${JSON.stringify(id)?.slice(0, 80)} is not a valid id`);
  }
  return id;
}

function pathParts(path: string): string[] {
  if (isS3Url(path)) throw new MinisparkError("BAD_REQUEST", `output "${path}" is in S3, not under this worker's outputs directory`);
  const bad = checkOutputPath(path);
  if (bad) throw new MinisparkError("BAD_REQUEST", `output path ${bad}`);
  return path.split(/[\\/]/).filter((s) => s !== "" && s !== ".");
}

function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

/** `p` must be a real directory (not a symlink to one): true; absent: false. */
function isRealDir(p: string, shown: string): boolean {
  const st = lstatOrNull(p);
  if (!st) return false;
  if (st.isSymbolicLink()) throw new MinisparkError("CONFLICT", `output path component "${shown}" is a symbolic link; minispark does not write through links`);
  if (!st.isDirectory()) throw new MinisparkError("CONFLICT", `output path component "${shown}" is not a directory`);
  return true;
}

/**
 * Walks outputs/<parts…> from the data directory, each component checked with
 * lstat; `create` makes missing ones. The absolute directory, or null when a
 * component is missing and `create` is false.
 */
function walk(dataDir: string, parts: string[], create: boolean): string | null {
  let dir = dataDir;
  const shown: string[] = [];
  for (const part of ["outputs", ...parts]) {
    dir = join(dir, part);
    shown.push(part);
    if (isRealDir(dir, shown.join("/"))) continue;
    if (!create) return null;
    try {
      fs.mkdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    if (!isRealDir(dir, shown.join("/"))) throw new MinisparkError("CONFLICT", `output path component "${shown.join("/")}" vanished while being made`);
  }
  return dir;
}

/** The output directory of `path`, checked all the way down; null if it does not exist. */
function existingOutputDir(dataDir: string, path: string): string | null {
  return walk(dataDir, pathParts(path), false);
}

/** Reads a small metadata file without following a link; null if absent. */
function readMeta(p: string): string | null {
  let fd: number;
  try {
    fd = fs.openSync(p, O_RDONLY | O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ELOOP") return null;
    throw e;
  }
  try {
    const buf = Buffer.alloc(MAX_META_BYTES);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString("utf8");
  } finally {
    fs.closeSync(fd);
  }
}

function writeNew(p: string, content: string): void {
  const fd = fs.openSync(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function owner(dir: string): string | null {
  return readMeta(join(dir, MARKER));
}

/** The job a committed output's _SUCCESS names, or null. */
export function committedBy(dir: string): string | null {
  const text = readMeta(join(dir, SUCCESS));
  if (text === null) return null;
  try {
    const job = (JSON.parse(text) as Partial<SuccessFile>).job;
    return typeof job === "string" ? job : null;
  } catch {
    return null;
  }
}

/** Removes `p` without going through a link: a link is unlinked, a directory removed with what it holds (rm never follows links inside). */
function remove(p: string): void {
  const st = lstatOrNull(p);
  if (!st) return;
  if (st.isDirectory()) fs.rmSync(p, { recursive: true, force: true });
  else fs.unlinkSync(p);
}

/** Renames a directory out of sight (a hidden sibling) before removing it, so no reader sees it half gone. */
function discard(parent: string, name: string, jobId: string): void {
  const away = join(parent, `.${name}.${jobId}.${randomBytes(4).toString("hex")}.trash`);
  try {
    fs.renameSync(join(parent, name), away);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return; // a peer on a shared volume got there first
    throw e;
  }
  remove(away);
}

/**
 * Before a save job runs: reserve its output directory, refusing one that
 * exists (mode "error") or discarding it (mode "overwrite"). Every worker is
 * asked; on a shared volume the first reserves and the others find the job's
 * own marker. A job that finds its own marker (a restarted master running it
 * again, before any commit decision) clears its earlier staging and parts.
 */
export function prepareOutput(dataDir: string, path: string, mode: "error" | "overwrite", jobId: string): void {
  checkIdSegment("job id", jobId);
  const parts = pathParts(path);
  const name = parts[parts.length - 1]!;
  const parent = walk(dataDir, parts.slice(0, -1), true)!;
  for (let i = 1; i < parts.length; i++) {
    // Another job's output (committed or being written) is that job's whole directory; nothing is saved inside it.
    const above = join(dataDir, "outputs", ...parts.slice(0, i));
    if (lstatOrNull(join(above, SUCCESS)) || lstatOrNull(join(above, MARKER))) {
      throw new MinisparkError("OUTPUT_EXISTS", `output path "${path}" is inside the output "${parts.slice(0, i).join("/")}" of another job; save elsewhere`);
    }
  }
  const dir = join(parent, name);
  const st = lstatOrNull(dir);
  if (st?.isFile()) {
    // A plain file where the directory goes: overwritten like an old output, refused like one.
    if (mode === "error") throw new MinisparkError("OUTPUT_EXISTS", `output path "${path}" already exists (a file); remove it or save with "mode": "overwrite"`);
    fs.unlinkSync(dir);
  } else if (isRealDir(dir, `outputs/${parts.join("/")}`)) {
    const by = owner(dir);
    if (by === jobId) {
      for (const f of fs.readdirSync(dir)) if (f !== MARKER) remove(join(dir, f));
      fs.mkdirSync(join(dir, TEMP, jobId), { recursive: true });
      return;
    }
    if (mode === "error") {
      const why = by ? ` (job ${by} is writing it)` : "";
      throw new MinisparkError("OUTPUT_EXISTS", `output path "${path}" already exists${why}; remove it or save with "mode": "overwrite"`);
    }
    discard(parent, name, jobId);
  }
  reserve(parent, name, path, jobId);
}

/**
 * Makes the directory appear with its marker and staging root already inside
 * (built under a hidden name, then renamed), so a worker racing on a shared
 * volume never sees it without its owner.
 */
function reserve(parent: string, name: string, path: string, jobId: string): void {
  const tmp = join(parent, `.${name}.${jobId}.${randomBytes(4).toString("hex")}.tmp`);
  fs.mkdirSync(tmp);
  writeNew(join(tmp, MARKER), jobId);
  fs.mkdirSync(join(tmp, TEMP, jobId), { recursive: true });
  try {
    fs.renameSync(tmp, join(parent, name));
  } catch (e) {
    remove(tmp);
    const code = (e as NodeJS.ErrnoException).code;
    const by = isRealDir(join(parent, name), `outputs/${path}`) ? owner(join(parent, name)) : null;
    if ((code !== "ENOTEMPTY" && code !== "EEXIST") || by !== jobId) {
      throw new MinisparkError("OUTPUT_EXISTS", `output path "${path}" was just taken${by ? ` by job ${by}` : ""}`);
    }
  }
}

/**
 * One attempt's staged part file, the local disk's PartSink: created under its
 * job's staging root, refused unless the job owns the path here and its staging
 * root exists, so an attempt of a job that ended or was overwritten cannot write.
 */
export class StagedPartFile implements PartSink {
  private readonly fd: number;
  private readonly attemptDir: string;

  constructor(dataDir: string, path: string, jobId: string, attemptId: string, partition: number, name: string) {
    checkIdSegment("job id", jobId);
    checkIdSegment("attempt id", attemptId);
    const dir = existingOutputDir(dataDir, path);
    if (!dir) throw new MinisparkError("CONFLICT", `output "${path}" is not prepared on this worker; job ${jobId} may not write it`);
    const by = owner(dir);
    if (by !== jobId)
      throw new MinisparkError("CONFLICT", `output "${path}" is not owned by job ${jobId} (${by ? `job ${by} owns it` : "it was committed or removed"}); this attempt may not write it`);
    const root = join(dir, TEMP, jobId);
    if (!isRealDir(join(dir, TEMP), TEMP) || !isRealDir(root, `${TEMP}/${jobId}`)) {
      throw new MinisparkError("CONFLICT", `output "${path}" has no staging area for job ${jobId}; the job has ended`);
    }
    this.attemptDir = join(root, attemptId);
    // Not recursive: if the staging root went since the check, this fails instead of making it again.
    try {
      fs.mkdirSync(this.attemptDir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || !isRealDir(this.attemptDir, attemptId)) throw e;
    }
    // Left by an earlier run of this very attempt (a resent launch), under any name it may have used.
    for (const n of partFileNames(partition)) remove(join(this.attemptDir, n));
    this.fd = fs.openSync(join(this.attemptDir, name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
  }

  write(bytes: Uint8Array): void {
    for (let w = 0; w < bytes.length; ) w += fs.writeSync(this.fd, bytes, w, bytes.length - w);
  }

  finish(): void {
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
  }

  abort(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
    remove(this.attemptDir);
  }
}

/** The name partition `partition`'s part gets under `action` (part-00003, part-00003.gz, part-00003.parquet): a sink creates it, the commit publishes it. */
export function partName(action: SaveAction, partition: number): string {
  return partFileName(partition, action.format === "parquet" ? PARQUET_EXTENSION : extensionOf(action.compression));
}

export interface AuthorisedPart {
  partition: number;
  attemptId: string;
}

/** The output directory, which job `jobId` must own here; null when it already committed it (a repeated call). */
function ownedDir(dataDir: string, path: string, jobId: string): string | null {
  checkIdSegment("job id", jobId);
  const dir = existingOutputDir(dataDir, path);
  if (!dir) throw new MinisparkError("CONFLICT", `output "${path}" does not exist here; job ${jobId} cannot commit it`);
  const by = owner(dir);
  if (by === jobId) return dir;
  if (by === null && committedBy(dir) === jobId) return null;
  throw new MinisparkError("CONFLICT", `output "${path}" no longer belongs to job ${jobId}${by ? ` (job ${by} took it over)` : ""}`);
}

/**
 * Job commit, step 1: renames each authorised attempt's staged file to its
 * part file. Idempotent, for a master that restarts mid-commit and sends the
 * same stored decision again: a part already published is left as it is.
 */
export function publishParts(dataDir: string, path: string, jobId: string, parts: readonly AuthorisedPart[]): { published: number } {
  const dir = ownedDir(dataDir, path, jobId);
  if (!dir) return { published: 0 };
  const root = join(dir, TEMP, jobId);
  const staging = isRealDir(join(dir, TEMP), TEMP) && isRealDir(root, `${TEMP}/${jobId}`);
  let published = 0;
  for (const { partition, attemptId } of parts) {
    checkIdSegment("attempt id", attemptId);
    const attemptDir = join(root, attemptId);
    const attemptStaged = staging && isRealDir(attemptDir, attemptId);
    // The attempt staged its part under the name its compression gives (the decision does not say which).
    const names = partFileNames(partition);
    const name = attemptStaged ? names.find((n) => lstatOrNull(join(attemptDir, n))?.isFile()) : undefined;
    if (name !== undefined) {
      try {
        fs.renameSync(join(attemptDir, name), join(dir, name));
        published++;
        continue;
      } catch (e) {
        // A publish of the same decision sent by a master that has since died may have just moved it.
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      }
    }
    if (names.some((n) => lstatOrNull(join(dir, n))?.isFile())) continue;
    throw new MinisparkError("CONFLICT", `output "${path}": the staged ${partFileName(partition)} of attempt ${attemptId} is not on this worker`);
  }
  return { published };
}

/**
 * Job commit, step 2: writes _SUCCESS naming the job and the part files here,
 * then drops the marker and all staging (a late attempt's included).
 * Idempotent: a second call (a shared volume's peer, a restarted master) finds
 * the job's _SUCCESS and does nothing.
 */
export function finalizeOutput(dataDir: string, path: string, jobId: string, partitions: number): void {
  const dir = ownedDir(dataDir, path, jobId);
  if (!dir) return;
  try {
    const files = fs
      .readdirSync(dir)
      .filter((f) => isPartFileName(f) && lstatOrNull(join(dir, f))?.isFile())
      .sort();
    if (!isRealDir(join(dir, TEMP), TEMP)) fs.mkdirSync(join(dir, TEMP));
    // A name of its own: a peer on a shared volume may be finalizing the same job right now.
    const tmp = join(dir, TEMP, `${SUCCESS}.${jobId}.${randomBytes(4).toString("hex")}`);
    writeNew(tmp, JSON.stringify({ job: jobId, files, partitions } satisfies SuccessFile));
    fs.renameSync(tmp, join(dir, SUCCESS));
    fs.rmSync(join(dir, MARKER), { force: true });
    remove(join(dir, TEMP));
  } catch (e) {
    if (owner(dir) === null && committedBy(dir) === jobId) return; // that peer finished first
    throw e;
  }
}

/**
 * Removes what job `jobId` has here. `committed` false (the job failed or was
 * cancelled): a directory the job owns holds only its own files (prepare
 * emptied it) and goes whole, as does one it finalized here before its commit
 * failed on another worker (a FAILED job leaves no _SUCCESS). `committed` true
 * (the job committed on other workers and published nothing on this one): only
 * a reservation it still holds here goes, never its committed output. In a
 * directory another job owns, only the job's staging goes.
 */
export function abortOutput(dataDir: string, path: string, jobId: string, committed: boolean): void {
  checkIdSegment("job id", jobId);
  const parts = pathParts(path);
  const dir = existingOutputDir(dataDir, path);
  if (!dir) return;
  const by = owner(dir);
  if (by === jobId || (!committed && by === null && committedBy(dir) === jobId)) {
    discard(join(dir, ".."), parts[parts.length - 1]!, jobId);
    return;
  }
  if (isRealDir(join(dir, TEMP), TEMP)) remove(join(dir, TEMP, jobId));
}
