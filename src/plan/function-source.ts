// Checks that a user function is the source of exactly one function expression,
// by parsing it (acorn) without ever running it: the master validates every
// function of a job at submit time but never executes user code. The workers
// compile what passed this check.
import { parse, type Node } from "acorn";

/**
 * Returns null when `src` is a single function expression, else what is wrong.
 * It is parsed exactly as the worker compiles it, `(<src>\n)`, so a trailing
 * comment is fine and text that would close the parenthesis early is not.
 */
export function checkFunctionSource(src: string): string | null {
  let program: Node & { body: Node[] };
  try {
    program = parse(`(${src}\n)`, { ecmaVersion: "latest", preserveParens: true }) as Node & { body: Node[] };
  } catch (e) {
    return `does not compile: ${(e as Error).message.replace(/\s*\(\d+:\d+\)$/, "")}`;
  }
  const stmt = program.body.length === 1 ? (program.body[0] as Node & { expression?: Node & { expression?: Node } }) : null;
  const outer = stmt?.type === "ExpressionStatement" ? stmt.expression : undefined;
  if (outer?.type !== "ParenthesizedExpression" || outer.end !== src.length + 3) {
    return "is not a single function expression";
  }
  let expr = outer.expression!;
  while (expr.type === "ParenthesizedExpression") expr = (expr as Node & { expression: Node }).expression;
  if (expr.type !== "ArrowFunctionExpression" && expr.type !== "FunctionExpression") {
    return `is not a function expression (found ${expr.type}); write e.g. "x => x * 2"`;
  }
  return null;
}
