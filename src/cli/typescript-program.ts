// How `minispark submit app.ts` turns TypeScript into something Node runs, without
// making every user install the compiler: Node's own type stripping where the running
// Node has it (on by default from 22.18 / 23.6, behind --experimental-strip-types
// from 22.6), else the `typescript` package if the user's project (or ours) has it.
// Stripping replaces types with spaces, so the functions shipped to the workers as
// source (fn.toString()) stay valid JavaScript. Called by submit-script.ts.
// A program is always an ES module (it uses import and top-level await), but
// Node decides a .ts file's module system by the nearest package.json, and
// `npm init -y` writes "type": "commonjs": such a .ts runs as a hidden .mts copy.
import fs from "node:fs";
import { dirname, join } from "node:path";

/** Node's first release with --experimental-strip-types. */
const STRIP_FLAG_SINCE: readonly [number, number] = [22, 6];

/**
 * The node flags that make Node strip a .ts program's types itself — empty when it does
 * so by default — or undefined when this Node cannot (then the compiler is needed).
 * `typescriptFeature` is process.features.typescript ("strip", "transform" or false;
 * absent before 22.10).
 */
export function nodeStripArgs(nodeVersion: string, typescriptFeature: unknown): string[] | undefined {
  if (typescriptFeature === "strip" || typescriptFeature === "transform") return [];
  const [major = 0, minor = 0] = nodeVersion.replace(/^v/, "").split(".").map(Number);
  const [flagMajor, flagMinor] = STRIP_FLAG_SINCE;
  return major > flagMajor || (major === flagMajor && minor >= flagMinor) ? ["--experimental-strip-types"] : undefined;
}

/**
 * What a user reads when neither Node nor an installed compiler can run their .ts program;
 * `unusable` is the version of a typescript package found without the JavaScript API
 * (TypeScript 7 is native and has no transpileModule).
 */
export function noTypeScriptMessage(program: string, nodeVersion: string, unusable?: string): string {
  const compiler = unusable === undefined ? "the typescript package is not installed" : `the installed typescript ${unusable} has no JavaScript API to transpile with (TypeScript 7 is native)`;
  return (
    `${program} is TypeScript, but Node ${nodeVersion} cannot strip types and ${compiler}. ` +
    `Either install a compiler in your project (npm install --save-dev typescript@5) or use Node >= 22.18, ` +
    `which runs TypeScript itself (relative imports must then name the .ts file, e.g. "./util.ts").`
  );
}

/** The "type" of the package.json nearest to `dir` (Node's package scope); undefined when there is none or it says none. */
export function packageType(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    let text: string | undefined;
    try {
      text = fs.readFileSync(join(d, "package.json"), "utf8");
    } catch {
      // No package.json here: look further up.
    }
    if (text !== undefined) {
      try {
        const type = (JSON.parse(text) as { type?: unknown }).type;
        return typeof type === "string" ? type : undefined;
      } catch {
        return undefined;
      }
    }
    if (dirname(d) === d) return undefined;
  }
}

/** Whether Node, stripping `program` itself, must be given an .mts copy to run it as an ES module. */
export function needsModuleCopy(program: string, type: string | undefined): boolean {
  return /\.ts$/.test(program) && type !== "module";
}
