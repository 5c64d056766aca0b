// Owns turning job input specs (a path, a glob, or an array of them, relative to
// the worker's data directory) into a concrete list of files, within a budget:
// the glob grammar and the linear-time segment matcher are plan/glob-pattern.ts,
// the walk here visits each (pattern position, directory) state once, and caps
// the entries it looks at, the depth it descends and the files it returns.
// Called by splits.ts on workers (inside the listing thread); the textual part
// of the rule lives in plan/paths.ts so that the master can apply it without
// touching files. Listing-time confinement only keeps the walk inside the data
// directory; what a task later opens is confined again by confined-open.ts.
import fs from "node:fs";
import path from "node:path";
import { GlobShapeError, MAX_GLOB_DEPTH, compileSegment, expandBraces, hasWildcard, type SegmentMatcher } from "../plan/glob-pattern.js";
import { pathProblem } from "../plan/paths.js";

/** Directory entries and stats one listing may look at: enough for large trees, bounded for hostile ones. */
export const MAX_ENTRIES_VISITED = 200_000;
/** Files one listing may return; each becomes at least one task's split, and the master caps partitions at 100,000. */
export const MAX_LISTED_FILES = 100_000;

export class InputPathError extends Error {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`input path "${path.length > 200 ? `${path.slice(0, 200)}…` : path}" ${problem}`);
    this.name = "InputPathError";
  }
}

/** Work done by one listing across all its patterns, refused past the caps. */
class ListingBudget {
  private visited = 0;

  visit(pattern: string, n: number): void {
    this.visited += n;
    if (this.visited > MAX_ENTRIES_VISITED) {
      throw new InputPathError(pattern, `makes the listing visit more than ${MAX_ENTRIES_VISITED} directory entries; at most ${MAX_ENTRIES_VISITED} are allowed`);
    }
  }
}

/** Sorted, de-duplicated regular files (posix paths relative to dataDir) matched by the patterns. */
export function expandPaths(dataDir: string, patterns: string | string[]): string[] {
  const root = fs.realpathSync(dataDir);
  const found = new Set<string>();
  const budget = new ListingBudget();
  for (const pattern of typeof patterns === "string" ? [patterns] : patterns) {
    const problem = pathProblem(pattern);
    if (problem !== null) throw new InputPathError(pattern, problem);
    const files = expandPattern(root, pattern, budget);
    if (files.length === 0) throw new InputPathError(pattern, "matched no files under the data directory");
    for (const f of files) found.add(f);
    if (found.size > MAX_LISTED_FILES) {
      throw new InputPathError(pattern, `brings the input to more than ${MAX_LISTED_FILES} files; at most ${MAX_LISTED_FILES} are allowed`);
    }
  }
  return [...found].sort(compareCodeUnits);
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function expandPattern(root: string, pattern: string, budget: ListingBudget): string[] {
  const walker = new Walker(root, pattern, budget);
  let alternatives: string[];
  try {
    alternatives = expandBraces(pattern);
  } catch (e) {
    if (e instanceof GlobShapeError) throw new InputPathError(pattern, e.problem);
    throw e;
  }
  for (const alt of alternatives) {
    walker.walkAlternative(alt.split("/").filter((s) => s !== "" && s !== "."));
  }
  return walker.files();
}

/** Hadoop/Spark treat these as metadata (_SUCCESS, .crc files, _temporary dirs), not data. */
function isHiddenName(name: string): boolean {
  return name.startsWith(".") || name.startsWith("_");
}

/**
 * Collects matches for one pattern (all its brace alternatives); `pattern` is
 * kept for error messages. Each (alternative, segment index, directory) state
 * is walked once, so repeated `**` costs segments × directories, not a product.
 */
class Walker {
  private readonly matches = new Set<string>();
  private visitedStates = new Set<string>();
  private readonly compiled = new Map<string, SegmentMatcher>();

  constructor(
    private readonly root: string,
    private readonly pattern: string,
    private readonly budget: ListingBudget,
  ) {}

  walkAlternative(segments: string[]): void {
    this.visitedStates = new Set();
    this.walk(segments, 0, "", new Set());
  }

  private walk(segments: string[], index: number, rel: string, globstarDirs: Set<string>): void {
    const state = `${index}\0${rel}`;
    if (this.visitedStates.has(state)) return;
    this.visitedStates.add(state);
    if (index === segments.length) {
      this.matches.add(rel);
      return;
    }
    const segment = segments[index]!;
    if (segment === "**") {
      this.walkGlobstar(segments, index, rel, globstarDirs, 0);
    } else if (!hasWildcard(segment)) {
      const child = joinRel(rel, segment);
      if (this.stat(child) !== null) this.walk(segments, index + 1, child, globstarDirs);
    } else {
      const matches = this.matcher(segment);
      const showHidden = isHiddenName(segment);
      for (const name of this.listDir(rel)) {
        if ((showHidden || !isHiddenName(name)) && matches(name)) {
          this.walk(segments, index + 1, joinRel(rel, name), globstarDirs);
        }
      }
    }
  }

  /** `**` matches zero or more directories, at most MAX_GLOB_DEPTH deep; the realpath set stops symlink cycles. */
  private walkGlobstar(segments: string[], index: number, rel: string, seen: Set<string>, depth: number): void {
    this.walk(segments, index + 1, rel, seen);
    if (!this.stat(rel)?.isDirectory()) return;
    const real = fs.realpathSync(this.abs(rel));
    if (seen.has(real)) return;
    if (depth >= MAX_GLOB_DEPTH) {
      throw new InputPathError(this.pattern, `makes "**" descend more than ${MAX_GLOB_DEPTH} directories deep; at most ${MAX_GLOB_DEPTH} are allowed`);
    }
    seen.add(real);
    for (const name of this.listDir(rel)) {
      const child = joinRel(rel, name);
      if (!isHiddenName(name) && this.stat(child)?.isDirectory()) {
        const state = `${index}\0${child}`;
        if (this.visitedStates.has(state)) continue;
        this.visitedStates.add(state);
        this.walkGlobstar(segments, index, child, seen, depth + 1);
      }
    }
    seen.delete(real);
  }

  private matcher(segment: string): SegmentMatcher {
    let m = this.compiled.get(segment);
    if (!m) this.compiled.set(segment, (m = compileSegment(segment)));
    return m;
  }

  /** Entries of a directory we match against; refusing to list outside the root avoids walking the whole disk via a symlink. */
  private listDir(rel: string): string[] {
    const abs = this.abs(rel);
    if (!this.stat(rel)?.isDirectory()) return [];
    this.assertInside(rel);
    // Read entry by entry: a directory of millions of entries is refused at the cap, not loaded whole first.
    const dir = fs.opendirSync(abs);
    const names: string[] = [];
    try {
      for (let e = dir.readSync(); e !== null; e = dir.readSync()) {
        this.budget.visit(this.pattern, 1);
        names.push(e.name);
      }
    } finally {
      dir.closeSync();
    }
    return names;
  }

  /** Matched files, plus the non-hidden files directly inside matched directories (Hadoop semantics). */
  files(): string[] {
    const files: string[] = [];
    for (const rel of this.matches) {
      const stat = this.stat(rel);
      if (stat?.isFile()) files.push(rel);
      else if (stat?.isDirectory()) {
        for (const name of this.listDir(rel)) {
          const child = joinRel(rel, name);
          if (!isHiddenName(name) && this.stat(child)?.isFile()) files.push(child);
        }
      }
      if (files.length > MAX_LISTED_FILES) {
        throw new InputPathError(this.pattern, `matches more than ${MAX_LISTED_FILES} files; at most ${MAX_LISTED_FILES} are allowed`);
      }
    }
    for (const f of files) this.assertInside(f);
    return files;
  }

  private assertInside(rel: string): void {
    const fromRoot = path.relative(this.root, fs.realpathSync(this.abs(rel)));
    const outside = fromRoot === ".." || fromRoot.startsWith(`..${path.sep}`) || path.isAbsolute(fromRoot);
    if (outside) {
      throw new InputPathError(this.pattern, `leaves the data directory through a symbolic link at "${rel}"`);
    }
  }

  private stat(rel: string): fs.Stats | null {
    this.budget.visit(this.pattern, 1);
    return statOrNull(this.abs(rel));
  }

  private abs(rel: string): string {
    return rel === "" ? this.root : path.join(this.root, rel);
  }
}

function joinRel(rel: string, name: string): string {
  return rel === "" ? name : `${rel}/${name}`;
}

/** Follows symlinks; a dangling link, a vanished entry or a path through a file is simply not there. */
function statOrNull(abs: string): fs.Stats | null {
  try {
    return fs.statSync(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR" || code === "ELOOP") return null;
    throw err;
  }
}
