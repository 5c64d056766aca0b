// Test prerequisites (issue 15): a missing system package skips a test with a
// line naming the Debian package and `npm run test:setup`, or fails it under
// CI=true; programs are found on PATH; the install script installs the same
// packages the helper names. The guarded test files themselves skip on a
// machine without their programs and fail under CI=true.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { delimiter, join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { PREREQUISITES, findProgram, skipReason, skipUnlessCi, unmetPrerequisites, type Machine } from "./helpers/prereq.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const tmp = fs.mkdtempSync(join(os.tmpdir(), "minispark-prereq-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const machine = (programs: string[], isRoot: boolean): Machine => ({ findProgram: (name) => (programs.includes(name) ? `/usr/bin/${name}` : null), isRoot });

describe("test prerequisites", () => {
  it("finds an executable on PATH, not a plain file nor a directory, in PATH order", () => {
    const [a, b] = [join(tmp, "a"), join(tmp, "b")];
    for (const d of [a, b]) fs.mkdirSync(d);
    fs.writeFileSync(join(a, "plain"), "");
    fs.mkdirSync(join(a, "dir"));
    fs.writeFileSync(join(a, "tool"), "#!/bin/sh\n", { mode: 0o755 });
    fs.writeFileSync(join(b, "tool"), "#!/bin/sh\n", { mode: 0o755 });
    fs.writeFileSync(join(b, "plain"), "#!/bin/sh\n", { mode: 0o755 });
    const searchPath = ["", a, b].join(delimiter);
    assert.equal(findProgram("tool", searchPath), join(a, "tool"));
    assert.equal(findProgram("plain", searchPath), join(b, "plain"), "a file without the execute bit is passed over");
    assert.equal(findProgram("dir", searchPath), null);
    assert.equal(findProgram("tool", ""), null);
  });

  it("lists only what the machine lacks", () => {
    const { chromium, ip, iptables, root } = PREREQUISITES;
    assert.deepEqual(unmetPrerequisites([chromium, ip, root], machine(["chromium", "ip"], true)), []);
    assert.deepEqual(unmetPrerequisites([chromium, ip, iptables, root], machine(["ip"], false)), [chromium, iptables, root]);
  });

  it("names each missing program's Debian package and the command that installs it", () => {
    assert.equal(skipReason([], false), null);
    assert.equal(skipReason([PREREQUISITES.chromium], false), "needs chromium (Debian package chromium): run `sudo npm run test:setup`");
    assert.equal(skipReason([PREREQUISITES.ip, PREREQUISITES.iptables], true), "needs ip (Debian package iproute2), iptables (Debian package iptables): run `npm run test:setup`");
    assert.equal(skipReason([PREREQUISITES.root, PREREQUISITES.strace], false), "needs strace (Debian package strace): run `sudo npm run test:setup`; needs root: run the tests as root");
  });

  it("skips outside CI and throws under CI=true", () => {
    assert.equal(skipUnlessCi(null, { CI: "true" }), false);
    assert.equal(skipUnlessCi("needs x", {}), "needs x");
    assert.equal(skipUnlessCi("needs x", { CI: "false" }), "needs x");
    assert.throws(() => skipUnlessCi("needs x", { CI: "true" }), /CI=true, so this test may not be skipped: it needs x/);
    assert.throws(() => skipUnlessCi("needs x", { CI: "1" }), /needs x/);
  });

  it("the install script installs every package the helper names, and only those", () => {
    const script = fs.readFileSync(join(ROOT, "scripts/install-test-deps.sh"), "utf8");
    const pairs = [...script.matchAll(/^ {2}"(\S+) (\S+)"$/gm)].map((m) => `${m[1]} ${m[2]}`).sort();
    const named = Object.values(PREREQUISITES)
      .flatMap((p) => (p.kind === "program" ? [`${p.program} ${p.debianPackage}`] : []))
      .sort();
    assert.deepEqual(pairs, named);
  });
});

// A fresh machine: PATH holds every program of this one except those the
// guarded tests need. Each guarded file then skips naming the package, and
// fails under CI=true. (netns.test.js also needs root, which this runs as or not.)
describe("the guarded test files on a machine without their programs", () => {
  const hidden = new Set(Object.values(PREREQUISITES).flatMap((p) => (p.kind === "program" ? [p.program] : [])));
  const bin = join(tmp, "bin");
  fs.mkdirSync(bin);
  for (const dir of (process.env.PATH ?? "").split(delimiter).filter(Boolean).reverse()) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (hidden.has(name)) continue;
      fs.rmSync(join(bin, name), { force: true });
      fs.symlinkSync(join(dir, name), join(bin, name));
    }
  }
  const run = (file: string, ci: boolean) => {
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: bin, CI: ci ? "true" : "" };
    // The runner's own variable would make the child report to this runner instead of printing.
    delete env.NODE_TEST_CONTEXT;
    // A guarded file still runs its unguarded tests: bzip2.test.js's damaged-stream
    // tests take 11 s on an idle machine and took over 30 s beside the rest of the suite.
    return spawnSync(process.execPath, ["--test", "--test-reporter=spec", join(ROOT, "dist/test", file)], { env, encoding: "utf8", timeout: 180_000 });
  };

  const guarded: [string, string][] = [
    ["ui.test.js", "chromium (Debian package chromium)"],
    ["master-isolation.test.js", "strace (Debian package strace)"],
    ["kubernetes-run.test.js", "strace (Debian package strace)"],
    ["tls.test.js", "openssl (Debian package openssl)"],
    ["bzip2.test.js", "bzip2 (Debian package bzip2)"],
    ["deploy.test.js", "docker-compose (Debian package docker-compose)"],
    ["s3-server.test.js", "radosgw (Debian package radosgw), ceph-mon (Debian package ceph-mon), ceph-osd (Debian package ceph-osd)"],
    ["s3-client.test.js", "radosgw (Debian package radosgw), ceph-mon (Debian package ceph-mon), ceph-osd (Debian package ceph-osd)"],
    ["netns.test.js", process.getuid?.() === 0 ? "ip (Debian package iproute2), iptables (Debian package iptables)" : "needs root"],
  ];
  for (const [file, names] of guarded) {
    it(`${file} skips naming ${names}, and fails under CI=true`, () => {
      const plain = run(file, false);
      assert.equal(plain.status, 0, plain.stdout + plain.stderr);
      assert.ok(plain.stdout.includes(names) && /# SKIP|skipped/.test(plain.stdout), plain.stdout);
      assert.match(plain.stdout, /npm run test:setup|run the tests as root/);
      const ci = run(file, true);
      assert.notEqual(ci.status, 0, ci.stdout);
      assert.match(ci.stdout + ci.stderr, /CI=true, so this test may not be skipped/);
    });
  }
});
