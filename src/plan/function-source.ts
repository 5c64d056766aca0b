// Checks that a user function is the source of exactly one function expression,
// by parsing it (acorn) without ever running it: the master validates every
// function of a job at submit time but never executes user code. The workers
// compile what passed this check.
import { parseExpressionAt, type Node } from "acorn";

/** Returns null when `src` is a single function expression, else what is wrong. */
export function checkFunctionSource(src: string): string | null {
  let expr: Node;
  try {
    expr = parseExpressionAt(src, 0, { ecmaVersion: "latest" });
  } catch (e) {
    return `does not compile: ${(e as Error).message}`;
  }
  if (src.slice(expr.end).trim() !== "") {
    return `is not a single function expression (unexpected text at offset ${expr.end})`;
  }
  if (expr.type !== "ArrowFunctionExpression" && expr.type !== "FunctionExpression") {
    return `is not a function expression (found ${expr.type}); write e.g. "x => x * 2"`;
  }
  return null;
}
