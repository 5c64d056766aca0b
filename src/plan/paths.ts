// The textual rule for user-given data paths, checked without touching the file
// system: relative, no "..", no NUL. The master applies it at submit time; the
// worker applies it again (input/glob.ts) and also resolves symlinks before
// opening anything.
import { posix, win32 } from "node:path";

/** What is wrong with a path or glob, as a phrase ("is absolute; …"), or null. */
export function pathProblem(p: string): string | null {
  if (p.length === 0) return "is empty";
  if (p.includes("\0")) return "contains a NUL byte";
  // Both flavours: a spec may be written on one OS and run on another.
  if (posix.isAbsolute(p) || win32.isAbsolute(p)) return "is absolute; paths are relative to the data directory";
  // Splitting at braces and commas too catches "{..,x}/secret" in a glob.
  return p.split(/[\\/{},]/).includes("..") ? "leaves the data directory" : null;
}

export function checkRelativePath(p: string): string | null {
  const problem = pathProblem(p);
  return problem === null ? null : `"${p}" ${problem}`;
}

/** Output paths also may not name the outputs directory itself or a hidden or underscored entry (_temporary, _SUCCESS). */
export function checkOutputPath(p: string): string | null {
  const bad = checkRelativePath(p);
  if (bad) return bad;
  const parts = p.split(/[\\/]/).filter((s) => s !== "" && s !== ".");
  if (parts.length === 0) return `"${p}" names the outputs directory itself; give a subdirectory`;
  if (parts.some((s) => s.startsWith("_") || s.startsWith("."))) return `"${p}" has a part starting with "_" or ".", which minispark keeps for itself`;
  return null;
}
