// How `minispark submit app.ts` turns TypeScript into something Node runs, without
// making every user install the compiler: Node's own type stripping where the running
// Node has it (on by default from 22.18 / 23.6, behind --experimental-strip-types
// from 22.6), else the `typescript` package if the user's project (or ours) has it.
// Stripping replaces types with spaces, so the functions shipped to the workers as
// source (fn.toString()) stay valid JavaScript. Called by submit-script.ts.

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
  const compiler =
    unusable === undefined
      ? "the typescript package is not installed"
      : `the installed typescript ${unusable} has no JavaScript API to transpile with (TypeScript 7 is native)`;
  return (
    `${program} is TypeScript, but Node ${nodeVersion} cannot strip types and ${compiler}. ` +
    `Either install a compiler in your project (npm install --save-dev typescript@5) or use Node >= 22.18, ` +
    `which runs TypeScript itself (relative imports must then name the .ts file, e.g. "./util.ts").`
  );
}
