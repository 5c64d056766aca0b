// The per-record narrow ops a user names: map, filter, flatMap, mapValues,
// flatMapValues, keyBy, keys and values. Each is a step of the plan that the
// worker fuses with its neighbours into one call chain per record; keyBy and
// values are also planned by other ops (groupBy, sortBy, lookup).
import { asPair, iterableOf } from "../functions/record-shape.js";
import { defineOp, defineStep, named, type OpFamily, type RecordStep } from "./op-rule.js";
import { fn, params } from "./params.js";
import { RecordCall } from "./record-call.js";

type NoArgs = null;

const map: RecordStep<NoArgs> = {
  name: "map",
  kind: "record",
  push: ({ fn: f, env, where }, next) => {
    const c = new RecordCall(where, env);
    return (x) => {
      c.n++;
      next(c.apply(f!, x, x));
    };
  },
};

const filter: RecordStep<NoArgs> = {
  name: "filter",
  kind: "record",
  push: ({ fn: f, env, where }, next) => {
    const c = new RecordCall(where, env);
    return (x) => {
      c.n++;
      if (c.apply(f!, x, x)) next(x);
    };
  },
};

const flatMap: RecordStep<NoArgs> = {
  name: "flatMap",
  kind: "record",
  push: ({ fn: f, env, where }, next) => {
    const c = new RecordCall(where, env);
    return (x) => {
      c.n++;
      const out = c.apply(f!, x, x);
      if (Array.isArray(out)) {
        for (let i = 0; i < out.length; i++) next(out[i]);
      } else {
        for (const y of iterableOf(out, where, c.n)) next(y);
      }
    };
  },
};

const mapValues: RecordStep<NoArgs> = {
  name: "mapValues",
  kind: "record",
  push: ({ fn: f, env, where }, next) => {
    const c = new RecordCall(where, env);
    return (x) => {
      c.n++;
      const [k, v] = asPair(x, where);
      next([k, c.apply(f!, x, v)]);
    };
  },
};

const flatMapValues: RecordStep<NoArgs> = {
  name: "flatMapValues",
  kind: "record",
  push: ({ fn: f, env, where }, next) => {
    const c = new RecordCall(where, env);
    return (x) => {
      c.n++;
      const [k, v] = asPair(x, where);
      const out = c.apply(f!, x, v);
      for (const w of iterableOf(out, where, c.n)) next([k, w]);
    };
  },
};

/** x → [fn(x), x]; also groupBy's and sortBy's keying step. */
export const KEY_BY: RecordStep<NoArgs> = {
  name: "keyBy",
  kind: "record",
  push: ({ fn: f, env, where }, next) => {
    const c = new RecordCall(where, env);
    return (x) => {
      c.n++;
      next([c.apply(f!, x, x), x]);
    };
  },
};

const keys: RecordStep<NoArgs> = {
  name: "keys",
  kind: "record",
  push:
    ({ where }, next) =>
    (x) =>
      next(asPair(x, where)[0]),
};

/** [k, v] → v; also lookup's last step. */
export const VALUES: RecordStep<NoArgs> = {
  name: "values",
  kind: "record",
  push:
    ({ where }, next) =>
    (x) =>
      next(asPair(x, where)[1]),
};

const STEPS = [map, filter, flatMap, mapValues, flatMapValues, KEY_BY, keys, VALUES];

/** The op of a step that is the user's node: planned over its one input, named for the node. */
const userStep = (step: RecordStep<NoArgs>, withFn: boolean) =>
  withFn
    ? defineOp({ kind: "narrow", inputs: 1, params: params({ fn: fn() }), plan: (pl, p, node, parents) => named(node, pl.narrow(pl.input(node.inputs[0]!, parents), step, p.fn, node.env, null)) })
    : defineOp({ kind: "narrow", inputs: 1, params: params({}), plan: (pl, _p, node, parents) => named(node, pl.narrow(pl.input(node.inputs[0]!, parents), step, null, node.env, null)) });

export const RECORD_OPS: OpFamily = {
  ops: {
    map: userStep(map, true),
    filter: userStep(filter, true),
    flatMap: userStep(flatMap, true),
    mapValues: userStep(mapValues, true),
    keyBy: userStep(KEY_BY, true),
    flatMapValues: userStep(flatMapValues, true),
    keys: userStep(keys, false),
    values: userStep(VALUES, false),
  },
  steps: STEPS.map(defineStep),
};
