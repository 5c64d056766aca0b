// --conf and the defaults file (cli/conf.ts) and MINISPARK_CONF
// (common/job-settings.ts), as pure functions: the format, refused keys and
// values with where they were written, which value wins, and how a job file's
// own fields stand against them.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { clientLayer, jobSettings, parseConfFlag, parseDefaultsText, readDefaults, withJobSettings } from "../src/cli/conf.js";
import { jobSettingsFromEnv } from "../src/common/job-settings.js";

describe("the defaults file", () => {
  it("takes `key value` and `key=value` lines, # comments and blank lines", () => {
    const text = ["# cluster defaults", "", "master http://m:7077", "  maxTaskRetries = 2", "name=nightly report", "tls-ca\t/etc/ca.pem", "parallelism 8 "].join("\n");
    assert.deepEqual(parseDefaultsText(text, "d.conf"), [
      { key: "master", value: "http://m:7077", from: "d.conf:3" },
      { key: "maxTaskRetries", value: "2", from: "d.conf:4" },
      { key: "name", value: "nightly report", from: "d.conf:5" },
      { key: "tls-ca", value: "/etc/ca.pem", from: "d.conf:6" },
      { key: "parallelism", value: "8", from: "d.conf:7" },
    ]);
  });

  it("the key ends at the first blank or '=': a value may hold either", () => {
    assert.deepEqual(parseDefaultsText("name a=b c", "f"), [{ key: "name", value: "a=b c", from: "f:1" }]);
    assert.deepEqual(parseDefaultsText("name=a b=c", "f"), [{ key: "name", value: "a b=c", from: "f:1" }]);
  });

  it("refuses an unknown key, a key without a value, with the line number", () => {
    assert.throws(
      () => parseDefaultsText("master http://m\n\nspark.master local", "d.conf"),
      /^Error: d\.conf:3: unknown key "spark\.master" \(known: name, parallelism, maxTaskRetries, taskTimeoutMs, master, token-file, tls-ca\)$/,
    );
    assert.throws(() => parseDefaultsText("# x\nmaster", "d.conf"), /^Error: d\.conf:2: expected "key value" or "key=value", got "master"$/);
    assert.throws(() => parseDefaultsText("name =", "d.conf"), /^Error: d\.conf:1: "name" has no value$/);
  });

  it("the default file may be missing; a --properties-file must be there", () => {
    const home = fs.mkdtempSync(join(os.tmpdir(), "minispark-conf-"));
    try {
      assert.deepEqual(readDefaults(undefined, home), []);
      assert.throws(() => readDefaults(join(home, "nope.conf"), home), /cannot read --properties-file .*nope\.conf: ENOENT/);
      fs.writeFileSync(join(home, "defaults.conf"), "parallelism 3\n");
      assert.deepEqual(readDefaults(undefined, home), [{ key: "parallelism", value: "3", from: join(home, "defaults.conf:1") }]);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});

describe("--conf", () => {
  it("takes key=value, the value trimmed and possibly holding '='", () => {
    assert.deepEqual(parseConfFlag("maxTaskRetries=1"), { key: "maxTaskRetries", value: "1", from: "--conf" });
    assert.deepEqual(parseConfFlag("name=a=b"), { key: "name", value: "a=b", from: "--conf" });
    assert.throws(() => parseConfFlag("maxTaskRetries"), /--conf takes key=value, got "maxTaskRetries"/);
    assert.throws(() => parseConfFlag("=1"), /--conf takes key=value/);
    assert.throws(() => parseConfFlag("retries=1"), /--conf: unknown key "retries"/);
  });

  it("job settings: the later entry wins (give the file's first, then --conf's); values are checked where written", () => {
    const file = parseDefaultsText("maxTaskRetries 4\nname file\nparallelism 2", "d.conf");
    assert.deepEqual(jobSettings([...file, parseConfFlag("maxTaskRetries=1"), parseConfFlag("taskTimeoutMs=10s")]), { maxTaskRetries: 1, name: "file", parallelism: 2, taskTimeoutMs: 10_000 });
    assert.deepEqual(jobSettings([parseConfFlag("taskTimeoutMs=2500")]), { taskTimeoutMs: 2500 });
    assert.throws(() => jobSettings(parseDefaultsText("\nparallelism 0", "d.conf")), /^Error: d\.conf:2: parallelism must be a positive integer, got "0"$/);
    assert.throws(() => jobSettings([parseConfFlag("taskTimeoutMs=soon")]), /--conf: taskTimeoutMs must be a duration/);
  });

  it("client keys become a flag layer naming where each was written; job keys do not", () => {
    const layer = clientLayer([...parseDefaultsText("master http://a\nname x", "d.conf"), parseConfFlag("master=http://b")]);
    assert.deepEqual(layer.values, { master: "http://b" });
    assert.equal(layer.from("master"), "--conf (master)");
  });
});

describe("a job file and its settings", () => {
  it("a job's own field wins over --conf and the defaults file; the others are added", () => {
    const spec = { name: "own", maxTaskRetries: 5, nodes: [], action: { op: "count", input: "n" } };
    assert.deepEqual(withJobSettings(spec, { name: "conf", maxTaskRetries: 1, parallelism: 4 }), { ...spec, parallelism: 4 });
    assert.deepEqual(withJobSettings({ nodes: [] }, { maxTaskRetries: 1 }), { nodes: [], maxTaskRetries: 1 });
  });

  it("a job file that is not an object is left for the master to refuse", () => {
    assert.deepEqual(withJobSettings([1], { maxTaskRetries: 1 }), [1]);
    assert.equal(withJobSettings(null, { maxTaskRetries: 1 }), null);
  });
});

describe("MINISPARK_CONF, the settings a submitted program's connect() reads", () => {
  it("is a JSON object of job settings; unset is none", () => {
    assert.deepEqual(jobSettingsFromEnv({}), {});
    assert.deepEqual(jobSettingsFromEnv({ MINISPARK_CONF: '{"maxTaskRetries":1,"name":"n","parallelism":3,"taskTimeoutMs":100}' }), {
      maxTaskRetries: 1,
      name: "n",
      parallelism: 3,
      taskTimeoutMs: 100,
    });
  });

  it("refuses what is not JSON, not an object, an unknown key or a wrong value, naming the variable", () => {
    assert.throws(() => jobSettingsFromEnv({ MINISPARK_CONF: "{" }), /^Error: MINISPARK_CONF is not JSON/);
    assert.throws(() => jobSettingsFromEnv({ MINISPARK_CONF: "[]" }), /^Error: MINISPARK_CONF must be a JSON object$/);
    assert.throws(() => jobSettingsFromEnv({ MINISPARK_CONF: '{"retries":1}' }), /MINISPARK_CONF: "retries" is not a job setting/);
    assert.throws(() => jobSettingsFromEnv({ MINISPARK_CONF: '{"maxTaskRetries":"1"}' }), /MINISPARK_CONF: "maxTaskRetries" is not a job setting or has a wrong value \("1"\)/);
  });
});
