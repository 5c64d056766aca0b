// pipe(command): one partition's records through an external command, as
// PySpark's RDD.pipe — the command split as shlex.split does (or given as
// argv) and run with no shell; the child's environment exactly `env` (as
// Popen(env=env): nothing of the worker's, such as its token, leaks in); each
// record written as its text (a string as itself, anything else as JSON, as
// the text output format writes it), trailing newlines cut, plus "\n"; each
// line of the output one record, its "\n" cut; the output must be UTF-8.
// With checkCode (PySpark's flag; Scala's pipe always checks) a non-zero exit
// fails the task, naming the command, the code and the end of its stderr; a
// command that cannot start fails it always.
// A task thread is synchronous, so the child runs under spawnSync; to keep
// memory bounded for any partition, its stdin, stdout and stderr are files in
// the task's scratch directory rather than buffers, unlinked as soon as they
// are open (nothing is left behind, even by a crash), written and read in
// chunks. The child runs in that directory too. Nothing runs until the result
// is iterated; a consumer that stops early closes the files.
// Called by the pipe op on the worker, per partition; the op refuses pipe
// when the worker runs with --no-user-code.
import fs from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { shellWords } from "./shell-words.js";

export interface PipeOptions {
  /** A command line (split as shlex.split does) or an argv. */
  command: string | readonly string[];
  /** The child's whole environment. */
  env: Readonly<Record<string, string>>;
  /** Whether a non-zero exit fails the task. */
  checkCode: boolean;
  /** The task's scratch directory: the child's working directory and where its stdio files live. */
  dir: string;
}

export class PipeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PipeError";
  }
}

const CHUNK = 64 * 1024;
const STDERR_TAIL = 1000;

/** The text a record is written as. */
export function recordText(record: unknown): string {
  return typeof record === "string" ? record : (JSON.stringify(record) ?? String(record));
}

/** Why pipe cannot take this command, or null. */
export function commandProblem(command: string | readonly string[]): string | null {
  try {
    argvOf(command);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

function argvOf(command: string | readonly string[]): string[] {
  let argv: string[];
  try {
    argv = typeof command === "string" ? shellWords(command) : [...command];
  } catch (e) {
    throw new RangeError(`the command ${JSON.stringify(command)} cannot be split: ${(e as Error).message}`);
  }
  if (argv.length === 0 || argv[0] === "") throw new RangeError("the command is empty");
  return argv;
}

export function* pipePartition(records: Iterable<unknown>, opts: PipeOptions): Iterable<string> {
  const argv = argvOf(opts.command);
  const shown = typeof opts.command === "string" ? opts.command : argv.join(" ");
  const fds: number[] = [];
  try {
    const stdin = scratchFile(opts.dir, fds);
    const stdout = scratchFile(opts.dir, fds);
    const stderr = scratchFile(opts.dir, fds);
    writeRecords(stdin.write, records);
    const run = spawnSync(argv[0]!, argv.slice(1), {
      cwd: opts.dir,
      env: { ...opts.env },
      stdio: [stdin.read, stdout.write, stderr.write],
    });
    if (run.error) throw new PipeError(`Pipe function \`${shown}' could not run: ${run.error.message}`);
    if (opts.checkCode && run.status !== 0) {
      const how = run.status === null ? `was killed by ${run.signal}` : `exited with error code ${run.status}`;
      const tail = stderrTail(stderr.read);
      throw new PipeError(`Pipe function \`${shown}' ${how}${tail ? `; its stderr ends: ${tail}` : ""}`);
    }
    yield* readLines(stdout.read, shown);
  } finally {
    for (const fd of fds) fs.closeSync(fd);
  }
}

/** An anonymous file: created, opened for writing and for reading from the start, and unlinked. */
function scratchFile(dir: string, fds: number[]): { write: number; read: number } {
  const path = join(dir, `pipe-${randomBytes(8).toString("hex")}`);
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
  const write = fs.openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  fds.push(write);
  try {
    const read = fs.openSync(path, "r");
    fds.push(read);
    return { write, read };
  } finally {
    fs.unlinkSync(path);
  }
}

function writeRecords(fd: number, records: Iterable<unknown>): void {
  let text = "";
  for (const r of records) {
    text += recordText(r).replace(/\n+$/, "") + "\n";
    if (text.length >= CHUNK) {
      writeAll(fd, text);
      text = "";
    }
  }
  writeAll(fd, text);
}

function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text, "utf8");
  for (let off = 0; off < buf.length; ) off += fs.writeSync(fd, buf, off);
}

function* readLines(fd: number, shown: string): Iterable<string> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const decode = (bytes?: Uint8Array): string => {
    try {
      return bytes ? decoder.decode(bytes, { stream: true }) : decoder.decode();
    } catch {
      throw new PipeError(`Pipe function \`${shown}' wrote output that is not UTF-8`);
    }
  };
  const buf = Buffer.alloc(CHUNK);
  let carry = "";
  for (let pos = 0; ; ) {
    const n = fs.readSync(fd, buf, 0, CHUNK, pos);
    if (n === 0) break;
    pos += n;
    const lines = (carry + decode(buf.subarray(0, n))).split("\n");
    carry = lines.pop()!;
    yield* lines;
  }
  carry += decode();
  if (carry !== "") yield carry;
}

function stderrTail(fd: number): string {
  const size = fs.fstatSync(fd).size;
  const len = Math.min(size, STDERR_TAIL);
  const buf = Buffer.alloc(len);
  fs.readSync(fd, buf, 0, len, size - len);
  return buf.toString("utf8").trim();
}
