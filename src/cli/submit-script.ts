// `minispark submit job.ts` (or .mts, .js, .mjs): runs a program that uses the
// library, as spark-submit runs an application. TypeScript runs through Node's
// own type stripping where this Node has it (typescript-program.ts); elsewhere
// it is transpiled by the typescript package (types are not checked) to a
// hidden ESM file next to the original, so that its imports — `minispark`
// itself and relative ones — resolve as they would from the original; the
// file is removed afterwards. A .ts program that Node strips itself but would
// load as CommonJS (its package.json says "type": "commonjs", or nothing) runs
// as a hidden .mts copy beside it, for the same reason. Hidden files carry this
// process's pid, and one left by a killed submit is swept by the next
// (common/stale-leftovers.ts). The program runs in a child node process with
// this terminal, and --master/--token reach it as MINISPARK_MASTER/
// MINISPARK_TOKEN, which connect() reads. Called by client-commands.ts.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { UsageError } from "./usage-error.js";
import { leftoverKind, leftoverName, sweepLeftovers } from "../common/stale-leftovers.js";
import { needsModuleCopy, nodeStripArgs, noTypeScriptMessage, packageType } from "./typescript-program.js";

export const SCRIPT_EXTENSIONS = /\.(ts|mts|js|mjs)$/;

export interface ScriptOptions {
  master?: string;
  token?: string;
  /** More variables for the program (its job settings, its TLS authority). */
  env?: Record<string, string>;
}

/** Runs the program at `path` with `args` as its process.argv.slice(2); resolves to its exit code. */
export async function runScript(path: string, opts: ScriptOptions, args: string[]): Promise<number> {
  const abs = resolve(path);
  if (!fs.existsSync(abs)) throw new UsageError(`cannot read job program ${path}: no such file`);
  const env = { ...process.env, ...opts.env };
  if (opts.master) env.MINISPARK_MASTER = opts.master;
  if (opts.token) env.MINISPARK_TOKEN = opts.token;
  const typescript = /\.m?ts$/.test(abs);
  const stripArgs = typescript ? nodeStripArgs(process.versions.node, (process.features as { typescript?: unknown }).typescript) : [];
  const file = stripArgs === undefined ? await transpile(abs) : needsModuleCopy(abs, packageType(dirname(abs))) ? hiddenCopy(abs, fs.readFileSync(abs, "utf8"), ".mts") : abs;
  try {
    return await runNode(file, env, stripArgs ?? [], args);
  } finally {
    if (file !== abs) fs.rmSync(file, { force: true });
  }
}

type TypeScriptCompiler = typeof import("typescript");

/** The user's project's compiler if it has a usable one, else one installed beside minispark. */
async function loadCompiler(abs: string): Promise<TypeScriptCompiler> {
  // Loaded here, not at the top, so that other commands do not pay for the compiler.
  const candidates = [() => import(pathToFileURL(createRequire(abs).resolve("typescript")).href), () => import("typescript")];
  let unusable: string | undefined;
  for (const load of candidates) {
    let ts: Partial<TypeScriptCompiler>;
    try {
      ts = ((await load()) as { default: Partial<TypeScriptCompiler> }).default;
    } catch {
      continue;
    }
    if (typeof ts.transpileModule === "function") return ts as TypeScriptCompiler;
    unusable ??= String(ts.version);
  }
  throw new UsageError(noTypeScriptMessage(abs, process.version, unusable));
}

async function transpile(abs: string): Promise<string> {
  const ts = await loadCompiler(abs);
  const out = ts.transpileModule(fs.readFileSync(abs, "utf8"), {
    fileName: abs,
    reportDiagnostics: true,
    // ES2022 keeps arrow functions and classes as written, so the functions shipped to the workers are the user's source.
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, inlineSourceMap: true, inlineSources: true },
  });
  const errors = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    throw new UsageError(`${abs} does not compile: ${ts.flattenDiagnosticMessageText(errors[0]!.messageText, "\n")}`);
  }
  return hiddenCopy(abs, out.outputText, ".mjs");
}

/** Writes `text` to a hidden file beside `abs` (so that its imports resolve the same), first sweeping a killed run's. */
function hiddenCopy(abs: string, text: string, extension: ".mjs" | ".mts"): string {
  const prefix = `.${basename(abs).replace(SCRIPT_EXTENSIONS, "")}.`;
  sweepLeftovers(dirname(abs), leftoverKind(prefix, extension));
  const file = join(dirname(abs), leftoverName(prefix, randomBytes(4).toString("hex"), extension));
  fs.writeFileSync(file, text);
  return file;
}

function runNode(file: string, env: NodeJS.ProcessEnv, nodeArgs: string[], programArgs: string[]): Promise<number> {
  const child = spawn(process.execPath, [...nodeArgs, "--enable-source-maps", file, ...programArgs], { stdio: "inherit", env });
  // Outlive the program so the temporary file is removed: Ctrl-C reaches it from the terminal
  // (it decides how to stop, e.g. closing its local cluster), a SIGTERM sent to us is passed on.
  const ignoreInt = () => {};
  const forwardTerm = () => child.kill("SIGTERM");
  process.on("SIGINT", ignoreInt).on("SIGTERM", forwardTerm);
  return new Promise<number>((res, rej) => {
    child.once("error", rej);
    // A program killed by a signal exits the way a shell reports it: 128 + the signal's number.
    child.once("exit", (code, signal) => res(code ?? 128 + (signal ? os.constants.signals[signal] : 0)));
  }).finally(() => process.off("SIGINT", ignoreInt).off("SIGTERM", forwardTerm));
}
