// pipe(command, checkCode): each partition's records through an external
// command, one record per line of its output (kernels/pipe-command.ts: no
// shell, the command split as shlex.split does or given as argv). The node's
// env is the child's whole environment, as PySpark's `env` argument (a value
// that is not a string is passed as its JSON text); nothing of the worker's
// environment, such as its token, reaches the child. The child runs in the
// task's scratch directory (the worker's spill directory).
// checkCode defaults to true, as Scala's pipe always checks: PySpark's default
// of false turns a command that fails into a silently short or empty result,
// which here would be a COMPLETED job with wrong data; false is still there
// for a command whose exit code means nothing.
// A command is code: under --no-user-code the master refuses it at submit
// (params.ts, the "command" type) and a worker so started refuses to run it.
import fs from "node:fs";
import type { Env } from "../plan/physical.js";
import { UserCodeError, userCodeAllowedHere } from "../functions/user-function.js";
import { pipePartition, recordText } from "./kernels/pipe-command.js";
import { defineOp, defineStep, named, type OpFamily, type PartitionStep } from "./op-rule.js";
import { boolean, command, params } from "./params.js";

type PipeArgs = { command: string | string[]; checkCode: boolean };

function childEnv(env: Env): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, recordText(v)]));
}

const pipeStep: PartitionStep<PipeArgs> = {
  name: "pipe",
  kind: "partition",
  run: ({ args, env, where, scratchDir }, _index, input) => {
    if (!userCodeAllowedHere()) throw new UserCodeError(`${where}: this worker runs no external commands (it was started with --no-user-code)`);
    fs.mkdirSync(scratchDir, { recursive: true });
    return pipePartition(input, { command: args.command, env: childEnv(env), checkCode: args.checkCode, dir: scratchDir });
  },
};

export const PIPE: OpFamily = {
  ops: {
    pipe: defineOp({
      kind: "narrow",
      inputs: 1,
      params: params({ command: command(), checkCode: boolean().maybe() }),
      plan: (pl, p, node, parents) => named(node, pl.narrow(pl.input(node.inputs[0]!, parents), pipeStep, null, node.env, { command: p.command, checkCode: p.checkCode ?? true })),
    }),
  },
  steps: [defineStep(pipeStep)],
};
