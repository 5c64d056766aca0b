// Compiles user functions shipped as source (the master checked that each is one
// function expression), resolves built-in names to our own code, and wraps
// failures so that the job's error names the node, the op, the message and the
// record that broke it. Compiled once per task, inside the task's worker thread.
import { isBuiltin } from "./builtin-names.js";
import { BUILTIN_CODE } from "./builtins.js";

export type UserFn = (...args: unknown[]) => unknown;

export class UserCodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UserCodeError";
  }
}

/** Whether this thread may compile user code (set once at thread start from the worker's flag). */
let userCodeAllowed = true;

export function setUserCodeAllowed(allowed: boolean): void {
  userCodeAllowed = allowed;
}

/** Whether this thread runs user code: the pipe op asks before it runs a command. */
export function userCodeAllowedHere(): boolean {
  return userCodeAllowed;
}

export function compileFunction(src: string, where: string): UserFn {
  if (isBuiltin(src)) return BUILTIN_CODE[src];
  if (!userCodeAllowed) {
    throw new UserCodeError(`${where}: this worker runs built-in functions only (it was started with --no-user-code)`);
  }
  let f: unknown;
  try {
    f = new Function(`"use strict"; return (${src}\n);`)();
  } catch (e) {
    throw new UserCodeError(`${where}: function does not compile: ${(e as Error).message}`);
  }
  if (typeof f !== "function") throw new UserCodeError(`${where}: fn is not a function`);
  return f as UserFn;
}

export function describeRecord(r: unknown): string {
  let s: string;
  try {
    s = typeof r === "string" ? JSON.stringify(r) : (JSON.stringify(r) ?? String(r));
  } catch {
    s = String(r);
  }
  return s.length > 200 ? s.slice(0, 200) + "…" : s;
}

export function userError(where: string, e: unknown, index: number, record?: unknown): UserCodeError {
  const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  const rec = record === undefined ? "" : ` ${describeRecord(record)}`;
  return new UserCodeError(`${where} threw ${msg} (at record #${index} of the partition:${rec})`);
}
