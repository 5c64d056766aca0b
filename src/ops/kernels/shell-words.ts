// A command line split into argv as Python's shlex.split does it (POSIX mode,
// no comments), which is how PySpark's pipe turns its command into a process
// with no shell between: words split at spaces, tabs and newlines; '…' keeps
// everything literally; "…" keeps everything but lets a backslash escape " and
// \ (any other backslash stays); outside quotes a backslash escapes the next
// character; "" and '' make an empty word. No $, `, globs, pipes or
// redirections: those need an explicit `sh -c '…'`.
// Called by pipe-command.ts, and by the pipe op's parameter check (so a
// command that cannot be split is a 400, not a failed task).

export class ShellWordsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ShellWordsError";
  }
}

const WHITESPACE = " \t\r\n";

/** The argv of a command line; throws ShellWordsError with shlex's message for an open quote or a trailing backslash. */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let i = 0;
  const next = (): string | null => (i < command.length ? command[i++]! : null);
  for (let c = next(); c !== null; c = next()) {
    if (WHITESPACE.includes(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === "\\") {
      const e = next();
      if (e === null) throw new ShellWordsError("No escaped character");
      word += e;
    } else if (c === "'") {
      const close = command.indexOf("'", i);
      if (close < 0) throw new ShellWordsError("No closing quotation");
      word += command.slice(i, close);
      i = close + 1;
    } else if (c === '"') {
      for (let q = next(); q !== '"'; q = next()) {
        if (q === null) throw new ShellWordsError("No closing quotation");
        if (q === "\\") {
          const e = next();
          if (e === null) throw new ShellWordsError("No escaped character");
          word += e === '"' || e === "\\" ? e : q + e;
        } else {
          word += q;
        }
      }
    } else {
      word += c;
    }
  }
  if (inWord) words.push(word);
  return words;
}
