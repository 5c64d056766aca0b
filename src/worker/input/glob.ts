// Owns turning job input specs (a path, a glob, or an array of them, relative to
// the worker's data directory) into a concrete list of files, and the confinement
// rules that keep jobs from reading outside that directory.
// Called by splits.ts on workers; the textual part of the rule lives in
// plan/paths.ts so that the master can apply it without touching files.
import fs from 'node:fs';
import path from 'node:path';
import { pathProblem } from '../../plan/paths.js';

export class InputPathError extends Error {
  constructor(readonly path: string, problem: string) {
    super(`input path "${path}" ${problem}`);
    this.name = 'InputPathError';
  }
}

/** Sorted, de-duplicated regular files (posix paths relative to dataDir) matched by the patterns. */
export function expandPaths(dataDir: string, patterns: string | string[]): string[] {
  const root = fs.realpathSync(dataDir);
  const found = new Set<string>();
  for (const pattern of typeof patterns === 'string' ? [patterns] : patterns) {
    const problem = pathProblem(pattern);
    if (problem !== null) throw new InputPathError(pattern, problem);
    const files = expandPattern(root, pattern);
    if (files.length === 0) throw new InputPathError(pattern, 'matched no files under the data directory');
    for (const f of files) found.add(f);
  }
  return [...found].sort(compareCodeUnits);
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function expandPattern(root: string, pattern: string): string[] {
  const walker = new Walker(root, pattern);
  for (const alt of expandBraces(pattern)) {
    walker.walk(alt.split('/').filter((s) => s !== '' && s !== '.'), 0, '');
  }
  return walker.files();
}

/** Expands the first comma-bearing {a,b} group, recursively, like bash brace expansion. */
function expandBraces(pattern: string): string[] {
  for (let open = pattern.indexOf('{'); open >= 0; open = pattern.indexOf('{', open + 1)) {
    const group = scanBraceGroup(pattern, open);
    if (group === null) continue;
    const head = pattern.slice(0, open);
    const tail = pattern.slice(group.close + 1);
    return group.alternatives.flatMap((alt) => expandBraces(head + alt + tail));
  }
  return [pattern];
}

/** A balanced group with at least one top-level comma; `{x}` or unbalanced braces stay literal. */
function scanBraceGroup(p: string, open: number): { close: number; alternatives: string[] } | null {
  let depth = 0;
  const cuts = [open];
  for (let i = open; i < p.length; i++) {
    const c = p[i];
    if (c === '{') depth++;
    else if (c === ',' && depth === 1) cuts.push(i);
    else if (c === '}' && --depth === 0) {
      if (cuts.length === 1) return null;
      cuts.push(i);
      const alternatives = cuts.slice(1).map((cut, k) => p.slice(cuts[k] + 1, cut));
      return { close: i, alternatives };
    }
  }
  return null;
}

/** Hadoop/Spark treat these as metadata (_SUCCESS, .crc files, _temporary dirs), not data. */
function isHiddenName(name: string): boolean {
  return name.startsWith('.') || name.startsWith('_');
}

function hasWildcard(segment: string): boolean {
  return /[*?[]/.test(segment);
}

/** Regex for one path segment; a wildcard never spans a '/' because we match segment by segment. */
function segmentRegExp(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === '*') re += '[\\s\\S]*';
    else if (c === '?') re += '[\\s\\S]';
    else if (c === '[') {
      const cls = charClass(segment, i);
      if (cls === null) re += '\\[';
      else {
        re += cls.source;
        i = cls.close;
      }
    } else re += escapeRegExp(c);
  }
  return new RegExp(`^${re}$`);
}

/** Parses `[abc]`, `[a-z]`, `[!abc]`/`[^abc]`; a ']' right after the opener is a literal member. */
function charClass(segment: string, open: number): { source: string; close: number } | null {
  let i = open + 1;
  const negated = segment[i] === '!' || segment[i] === '^';
  if (negated) i++;
  const close = segment.indexOf(']', segment[i] === ']' ? i + 1 : i);
  if (close < 0) return null;
  const members = [...segment.slice(i, close)].map((c) => (c === '-' ? c : escapeRegExp(c))).join('');
  return { source: `[${negated ? '^' : ''}${members}]`, close };
}

function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** Collects matches for one pattern; `pattern` is kept only for error messages. */
class Walker {
  private readonly matches = new Set<string>();

  constructor(private readonly root: string, private readonly pattern: string) {}

  walk(segments: string[], index: number, rel: string, globstarDirs = new Set<string>()): void {
    if (index === segments.length) {
      this.matches.add(rel);
      return;
    }
    const segment = segments[index];
    if (segment === '**') {
      this.walkGlobstar(segments, index, rel, globstarDirs);
    } else if (!hasWildcard(segment)) {
      const child = joinRel(rel, segment);
      if (statOrNull(this.abs(child)) !== null) this.walk(segments, index + 1, child, globstarDirs);
    } else {
      const re = segmentRegExp(segment);
      const showHidden = isHiddenName(segment);
      for (const name of this.listDir(rel)) {
        if ((showHidden || !isHiddenName(name)) && re.test(name)) {
          this.walk(segments, index + 1, joinRel(rel, name), globstarDirs);
        }
      }
    }
  }

  /** `**` matches zero or more directories; the realpath set stops symlink cycles. */
  private walkGlobstar(segments: string[], index: number, rel: string, seen: Set<string>): void {
    this.walk(segments, index + 1, rel, seen);
    if (!statOrNull(this.abs(rel))?.isDirectory()) return;
    const real = fs.realpathSync(this.abs(rel));
    if (seen.has(real)) return;
    seen.add(real);
    for (const name of this.listDir(rel)) {
      const child = joinRel(rel, name);
      if (!isHiddenName(name) && statOrNull(this.abs(child))?.isDirectory()) {
        this.walkGlobstar(segments, index, child, seen);
      }
    }
    seen.delete(real);
  }

  /** Entries of a directory we match against; refusing to list outside the root avoids walking the whole disk via a symlink. */
  private listDir(rel: string): string[] {
    const abs = this.abs(rel);
    if (!statOrNull(abs)?.isDirectory()) return [];
    this.assertInside(rel);
    return fs.readdirSync(abs);
  }

  /** Matched files, plus the non-hidden files directly inside matched directories (Hadoop semantics). */
  files(): string[] {
    const files: string[] = [];
    for (const rel of this.matches) {
      const stat = statOrNull(this.abs(rel));
      if (stat?.isFile()) files.push(rel);
      else if (stat?.isDirectory()) {
        for (const name of this.listDir(rel)) {
          const child = joinRel(rel, name);
          if (!isHiddenName(name) && statOrNull(this.abs(child))?.isFile()) files.push(child);
        }
      }
    }
    for (const f of files) this.assertInside(f);
    return files;
  }

  private assertInside(rel: string): void {
    const fromRoot = path.relative(this.root, fs.realpathSync(this.abs(rel)));
    const outside = fromRoot === '..' || fromRoot.startsWith(`..${path.sep}`) || path.isAbsolute(fromRoot);
    if (outside) {
      throw new InputPathError(this.pattern, `leaves the data directory through a symbolic link at "${rel}"`);
    }
  }

  private abs(rel: string): string {
    return rel === '' ? this.root : path.join(this.root, rel);
  }
}

function joinRel(rel: string, name: string): string {
  return rel === '' ? name : `${rel}/${name}`;
}

/** Follows symlinks; a dangling link, a vanished entry or a path through a file is simply not there. */
function statOrNull(abs: string): fs.Stats | null {
  try {
    return fs.statSync(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return null;
    throw err;
  }
}
