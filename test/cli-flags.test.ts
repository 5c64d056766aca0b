// The flag tables: for every command the help a user reads and the flags the
// parser accepts are the same set (checked against real `minispark` processes),
// printed defaults are the values used, environment variables layer under the
// command line, and the command line splits at a program's script.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { COMMANDS, usage } from "../src/cli/commands.js";
import { MASTER_COMMAND, WORKER_COMMAND } from "../src/cli/cluster-commands.js";
import { SUBMIT_COMMAND } from "../src/cli/client-commands.js";
import { helpText, parseArgsOptions, parseCommand, splitAtProgram, type FlagTable } from "../src/cli/flag-table.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin", "minispark.js");

function minispark(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 30_000, env: { ...process.env, MINISPARK_HOME: "/nonexistent-minispark-home" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The flags a reader finds in a help text: each line that starts with a flag. */
function flagsInHelp(text: string): string[] {
  return [...text.matchAll(/^ {2}(?:-\w, )?--([a-z][a-z0-9-]*)/gm)].map((m) => m[1]!);
}

/** A command line giving every flag of `flags` a value of its type. */
function everyFlag(flags: FlagTable): string[] {
  return Object.entries(flags).flatMap(([name, f]) => (f.type === "boolean" ? [`--${name}`] : [`--${name}`, "x"]));
}

describe("every command's help and parser agree", () => {
  for (const [name, { spec }] of COMMANDS) {
    it(`minispark ${name}: the flags in --help are exactly those parseArgs accepts, each as printed`, () => {
      const r = minispark([name, "--help"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), helpText(spec));
      const accepted = Object.keys(parseArgsOptions(spec.flags)).sort();
      assert.deepEqual([...flagsInHelp(r.stdout)].sort(), accepted);
      // Accepted by the real command: with all of them and --help it prints the help; an unknown flag is refused.
      const all = minispark([name, ...everyFlag(spec.flags)]);
      assert.equal(all.code, 0, all.stderr);
      assert.match(all.stdout, new RegExp(`^usage: minispark ${name}`));
      const unknown = minispark([name, "--no-such-flag", "--help"]);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /Unknown option '--no-such-flag'/);
      for (const [flag, f] of Object.entries(spec.flags)) {
        if (f.short) assert.equal(minispark([name, `-${f.short}`]).code, 0, `-${f.short} for --${flag}`);
      }
    });
  }

  it("minispark --help lists every command, and each of its lines names one", () => {
    const r = minispark(["--help"]);
    assert.equal(r.stdout.trim(), usage());
    const listed = [...r.stdout.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]);
    assert.deepEqual(listed, [...COMMANDS.keys()]);
  });

  it("every printed default is the value a command gets when no source gives one", () => {
    for (const [name, { spec }] of COMMANDS) {
      const { values, defaulted } = parseCommand(spec, [], { env: {} });
      const help = helpText(spec);
      for (const [flag, f] of Object.entries(spec.flags)) {
        if (f.default === undefined) continue;
        assert.equal((values as Record<string, unknown>)[flag], f.default, `${name} --${flag}`);
        assert.ok(defaulted(flag));
        assert.ok(help.includes(`(default ${f.default}`), `${name} --${flag} prints its default`);
      }
    }
  });

  it("every server flag but --help has its MINISPARK_<FLAG> variable, shown in the help", () => {
    for (const spec of [MASTER_COMMAND, WORKER_COMMAND]) {
      const help = helpText(spec);
      for (const [flag, f] of Object.entries(spec.flags)) {
        if (flag === "help") continue;
        assert.equal(f.env, `MINISPARK_${flag.toUpperCase().replaceAll("-", "_")}`);
        assert.ok(help.includes(`env ${f.env})`), `${spec.name} shows ${f.env}`);
      }
    }
    assert.equal(MASTER_COMMAND.flags["max-partitions"].env, "MINISPARK_MAX_PARTITIONS");
    assert.equal(WORKER_COMMAND.flags["data-dir"].env, "MINISPARK_DATA_DIR");
  });
});

describe("where a flag's value comes from", () => {
  it("the command line wins over the environment, which wins over the default", () => {
    const env = { MINISPARK_PORT: "9000", MINISPARK_MAX_PARTITIONS: "5" };
    const cli = parseCommand(MASTER_COMMAND, ["--port", "8000"], { env });
    assert.equal(cli.values.port, "8000");
    assert.equal(cli.from("port"), "--port");
    assert.equal(cli.values["max-partitions"], "5");
    assert.equal(cli.from("max-partitions"), "MINISPARK_MAX_PARTITIONS");
    assert.equal(cli.values.host, "127.0.0.1");
    assert.equal(cli.defaulted("host"), true);
    assert.equal(cli.defaulted("max-partitions"), false);
  });

  it("a boolean's variable is 1/true/yes or 0/false/no; anything else is refused naming the variable; empty is unset", () => {
    const noUserCode = (v: string) => parseCommand(MASTER_COMMAND, [], { env: { MINISPARK_NO_USER_CODE: v } }).values["no-user-code"];
    assert.equal(noUserCode("1"), true);
    assert.equal(noUserCode("TRUE"), true);
    assert.equal(noUserCode("0"), false);
    assert.equal(noUserCode("false"), false);
    assert.equal(noUserCode(""), undefined);
    assert.throws(() => noUserCode("maybe"), /^Error: MINISPARK_NO_USER_CODE must be 1, true, 0 or false, got "maybe"$/);
  });

  it("a repeatable flag's variable is one value (--allow-host splits it at commas)", () => {
    assert.deepEqual(parseCommand(MASTER_COMMAND, [], { env: { MINISPARK_ALLOW_HOST: "a,b" } }).values["allow-host"], ["a,b"]);
    assert.deepEqual(parseCommand(MASTER_COMMAND, ["--allow-host", "c"], { env: { MINISPARK_ALLOW_HOST: "a,b" } }).values["allow-host"], ["c"]);
  });

  it("layers above the environment (--conf) beat it; layers below it (the defaults file) do not", () => {
    const layer = (values: Record<string, string>, from: string) => ({ values, from: (f: string) => `${from} (${f})` });
    const parse = (env: Record<string, string>) =>
      parseCommand(SUBMIT_COMMAND, [], { env, layers: () => ({ overEnv: [layer({ "tls-ca": "conf.pem" }, "--conf")], underEnv: [layer({ master: "http://file:1", "tls-ca": "file.pem" }, "f:1")] }) });
    const bare = parse({});
    assert.equal(bare.values.master, "http://file:1");
    assert.equal(bare.from("master"), "f:1 (master)");
    assert.equal(bare.values["tls-ca"], "conf.pem");
    const withEnv = parse({ MINISPARK_MASTER: "http://env:2", MINISPARK_TLS_CA: "env.pem" });
    assert.equal(withEnv.values.master, "http://env:2");
    assert.equal(withEnv.values["tls-ca"], "conf.pem");
  });

  it("--help is answered whatever the environment holds", () => {
    assert.equal(parseCommand(WORKER_COMMAND, ["--help"], { env: { MINISPARK_NO_USER_CODE: "maybe" } }).values.help, true);
  });
});

describe("a program's arguments", () => {
  const isProgram = (s: string) => /\.(ts|mjs)$/.test(s);
  const split = (argv: string[]) => splitAtProgram(argv, SUBMIT_COMMAND.flags, isProgram);

  it("everything after the script is the program's, a leading -- dropped", () => {
    assert.deepEqual(split(["app.ts", "a", "--master", "b"]), { own: ["app.ts"], program: ["a", "--master", "b"] });
    assert.deepEqual(split(["app.ts", "--", "a", "b"]), { own: ["app.ts"], program: ["a", "b"] });
    assert.deepEqual(split(["app.ts", "a", "--", "b"]), { own: ["app.ts"], program: ["a", "--", "b"] });
  });

  it("flags before the script are minispark's, with their values", () => {
    assert.deepEqual(split(["--master", "x.ts", "app.ts", "--json"]), { own: ["--master", "x.ts", "app.ts"], program: ["--json"] });
    assert.deepEqual(split(["--master=http://m", "--json", "--conf", "name=n", "app.mjs", "1"]), { own: ["--master=http://m", "--json", "--conf", "name=n", "app.mjs"], program: ["1"] });
  });

  it("a job file's command line is all minispark's", () => {
    assert.deepEqual(split(["job.json", "--wait", "extra"]), { own: ["job.json", "--wait", "extra"], program: [] });
    assert.deepEqual(split(["--wait", "--", "app.ts"]), { own: ["--wait", "--", "app.ts"], program: [] });
  });
});
