// Owns opening a job's input file so that what is read provably lies inside
// the worker's data directory at the moment of the open, whatever happened to
// the path since it was listed (a symlink swapped in, a directory component
// replaced, a file that only this worker's disk holds as a link). Called for
// every read of a user-named path: the text, JSON-lines and CSV readers
// (rdd-compute.ts) and the word-count kernel; they read through the returned
// descriptor only, never by path again.
//
// The check is race-free without /proc: resolve the path, refuse it unless it
// lies inside the data directory's real path, open the resolved path with
// O_NOFOLLOW (so a last component swapped for a link fails), then resolve it
// again and require the opened descriptor's device and inode to equal those of
// what the path resolves to now, inside the root. A swap of any component
// before or during the open changes either the resolution or the inode.
// O_NONBLOCK keeps a FIFO swapped in from blocking the open; fstat then
// refuses anything that is not a regular file (FIFOs, devices, directories).
import fs from "node:fs";
import path from "node:path";
import { pathProblem } from "../plan/paths.js";
import { UserCodeError } from "../functions/user-function.js";

/** An open input, a local file or an S3 object (s3/s3-input-file.ts): read through `read` only; `path` is for messages. */
export interface InputFile {
  /** Relative to the data directory, or the object's `s3://` URL. */
  readonly path: string;
  /** Size at open time; readers still stop at end of file, which may come earlier or later. */
  readonly size: number;
  /** Reads up to `len` bytes at byte `pos` into buf at `off`; fewer only at the end, 0 past it. */
  read(buf: Uint8Array, off: number, len: number, pos: number): number;
  close(): void;
}

/** A local file, read through its descriptor. */
class LocalInputFile implements InputFile {
  constructor(
    private readonly fd: number,
    readonly path: string,
    readonly size: number,
  ) {}

  read(buf: Uint8Array, off: number, len: number, pos: number): number {
    return fs.readSync(this.fd, buf, off, len, pos);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/** The job's input cannot be opened as a confined regular file; fails the task with this message. */
export class InputAccessError extends UserCodeError {
  constructor(rel: string, problem: string) {
    super(`input "${rel}" ${problem}`);
    this.name = "InputAccessError";
  }
}

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY } = fs.constants;
const OPEN_FLAGS = O_RDONLY | (O_NOFOLLOW ?? 0) | (O_NONBLOCK ?? 0) | (O_NOCTTY ?? 0);

/** Opens `rel` under `dataDir` for reading, confined as described above; the caller closes it. */
export function openInput(dataDir: string, rel: string): InputFile {
  const problem = pathProblem(rel);
  if (problem !== null) throw new InputAccessError(rel, problem);
  const root = fs.realpathSync(dataDir);
  const real = resolveInside(root, rel, path.join(root, rel));
  let fd: number;
  try {
    fd = fs.openSync(real, OPEN_FLAGS);
  } catch (e) {
    throw accessError(rel, e);
  }
  try {
    const opened = fs.fstatSync(fd);
    if (!opened.isFile()) throw new InputAccessError(rel, `is not a regular file (it is ${kindOf(opened)})`);
    const now = fs.statSync(resolveInside(root, rel, real));
    if (now.dev !== opened.dev || now.ino !== opened.ino) {
      throw new InputAccessError(rel, "changed while it was being opened (a path component was replaced); refusing to read it");
    }
    return new LocalInputFile(fd, rel, opened.size);
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

/** The real path of `abs`, which must lie inside `root` (itself a real path). */
function resolveInside(root: string, rel: string, abs: string): string {
  let real: string;
  try {
    real = fs.realpathSync(abs);
  } catch (e) {
    throw accessError(rel, e);
  }
  const fromRoot = path.relative(root, real);
  if (fromRoot === ".." || fromRoot.startsWith(`..${path.sep}`) || path.isAbsolute(fromRoot)) {
    throw new InputAccessError(rel, "resolves outside the data directory (through a symbolic link); refusing to read it");
  }
  return real;
}

function accessError(rel: string, e: unknown): InputAccessError {
  switch ((e as NodeJS.ErrnoException).code) {
    case "ELOOP":
      return new InputAccessError(rel, "is a symbolic link loop, or was replaced by a symbolic link while being opened");
    case "ENOENT":
    case "ENOTDIR":
      return new InputAccessError(rel, "no longer exists (it was there when the input was listed)");
    case "EACCES":
    case "EPERM":
      return new InputAccessError(rel, "cannot be read: permission denied");
    default:
      return new InputAccessError(rel, `cannot be opened: ${(e as Error).message}`);
  }
}

function kindOf(s: fs.Stats): string {
  if (s.isDirectory()) return "a directory";
  if (s.isFIFO()) return "a FIFO";
  if (s.isSocket()) return "a socket";
  if (s.isCharacterDevice() || s.isBlockDevice()) return "a device";
  return "not a file";
}
