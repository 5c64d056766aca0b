// Test prerequisites that npm cannot install: programs from Debian packages
// (chromium, strace, openssl, iproute2, iptables, docker-compose, bzip2, and radosgw,
// ceph-mon and ceph-osd for the S3 test server) and root.
// A test file that needs one asks `prerequisiteSkip` at load time and passes
// the answer as its `skip` option: on a machine without it the file skips with
// a line naming the Debian package and the command that installs it
// (`npm run test:setup`, i.e. scripts/install-test-deps.sh); under CI=true it
// throws instead, so the file fails and CI cannot pass without running it.
// Ask at module top level, not inside a describe body: Node 22's runner
// reports a describe body that throws yet still exits 0.
// Programs are looked up on PATH, which is what the tests then run, so hiding
// a program from PATH is how a fresh machine is simulated.
import fs from "node:fs";
import { delimiter, join } from "node:path";

/** A program a test runs, and the Debian package that provides it. */
export interface Program {
  kind: "program";
  program: string;
  debianPackage: string;
}

/** The test makes network namespaces, which only root may. */
export interface Root {
  kind: "root";
}

export type Prerequisite = Program | Root;

const program = (name: string, debianPackage = name): Program => ({ kind: "program", program: name, debianPackage });

/** Every system prerequisite of the suite; scripts/install-test-deps.sh installs the same packages. */
export const PREREQUISITES = {
  chromium: program("chromium"),
  strace: program("strace"),
  openssl: program("openssl"),
  ip: program("ip", "iproute2"),
  iptables: program("iptables"),
  dockerCompose: program("docker-compose"),
  radosgw: program("radosgw"),
  bzip2: program("bzip2"),
  cephMon: program("ceph-mon"),
  cephOsd: program("ceph-osd"),
  root: { kind: "root" } as Root,
} as const;

/** What `unmetPrerequisites` asks of the machine; tests pass their own. */
export interface Machine {
  /** The path of an executable named `name`, or null. */
  findProgram(name: string): string | null;
  isRoot: boolean;
}

/** The absolute path of an executable file `name` in one of `searchPath`'s directories, or null. */
export function findProgram(name: string, searchPath = process.env.PATH ?? ""): string | null {
  for (const dir of searchPath.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      if (fs.statSync(candidate).isFile()) {
        fs.accessSync(candidate, fs.constants.X_OK);
        return candidate;
      }
    } catch {
      // Not here, or not executable: try the next directory.
    }
  }
  return null;
}

export const thisMachine = (): Machine => ({ findProgram: (name) => findProgram(name), isRoot: process.getuid?.() === 0 });

/** The prerequisites among `needs` that `machine` lacks. */
export function unmetPrerequisites(needs: readonly Prerequisite[], machine: Machine): Prerequisite[] {
  return needs.filter((p) => (p.kind === "root" ? !machine.isRoot : machine.findProgram(p.program) === null));
}

/** The skip line for unmet prerequisites, or null when there are none. */
export function skipReason(unmet: readonly Prerequisite[], isRoot: boolean): string | null {
  if (unmet.length === 0) return null;
  const programs = unmet.filter((p): p is Program => p.kind === "program");
  const parts: string[] = [];
  if (programs.length > 0) {
    const named = programs.map((p) => `${p.program} (Debian package ${p.debianPackage})`).join(", ");
    // Root installs packages without sudo, which minimal images do not have.
    parts.push(`needs ${named}: run \`${isRoot ? "" : "sudo "}npm run test:setup\``);
  }
  if (unmet.some((p) => p.kind === "root")) parts.push("needs root: run the tests as root");
  return parts.join("; ");
}

/** Whether this run must run every test: CI=true (or 1), as CI services set it. */
export function requiresEverything(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI === "true" || env.CI === "1";
}

/**
 * `reason` as a test's `skip` option (false when null); under CI it throws
 * instead, so a missing prerequisite fails the file.
 */
export function skipUnlessCi(reason: string | null, env: NodeJS.ProcessEnv = process.env): string | false {
  if (reason === null) return false;
  if (requiresEverything(env)) throw new Error(`CI=true, so this test may not be skipped: it ${reason}`);
  return reason;
}

/** The `skip` option for a test that needs `needs` on this machine. */
export function prerequisiteSkip(...needs: Prerequisite[]): string | false {
  const machine = thisMachine();
  return skipUnlessCi(skipReason(unmetPrerequisites(needs, machine), machine.isRoot));
}
