// Test hosts for multi-host tests (issue 9): network namespaces, each with its
// own address on a private bridge (10.77.<n>.0/24), so master and workers talk
// over real interfaces and never over loopback. Needs root and iproute2 (CI runs
// as root). Traffic goes only between these namespaces and the bridge's own
// address, which the test process uses to reach them. Faults: a host's link
// taken down, its traffic slowed (netem where the kernel has it, else a token
// bucket) or thinned (a random share of incoming packets dropped by iptables).
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import type fs from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { PREREQUISITES, skipReason, skipUnlessCi, thisMachine, unmetPrerequisites } from "./prereq.js";

const CLI = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

export interface TestHost {
  name: string;
  /** The namespace's address on the bridge. */
  ip: string;
  /** The namespace side of its veth pair. */
  dev: string;
  /** The bridge side. */
  peer: string;
}

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: "pipe" });
}

/**
 * The `skip` option for tests on test hosts: why they cannot be made here, or
 * false when they can; under CI=true it throws instead (see prereq.ts).
 */
export function netnsUnavailable(): string | false {
  const machine = thisMachine();
  const unmet = unmetPrerequisites([PREREQUISITES.root, PREREQUISITES.ip, PREREQUISITES.iptables], machine);
  return skipUnlessCi(skipReason(unmet, machine.isRoot) ?? netnsRefused());
}

/** Why the kernel refuses a network namespace to root (a container without CAP_NET_ADMIN), or null. */
function netnsRefused(): string | null {
  const probe = `msprobe${process.pid % 100000}`;
  const ok = spawnSync("ip", ["netns", "add", probe]).status === 0;
  spawnSync("ip", ["netns", "del", probe]);
  return ok ? null : "cannot create network namespaces here";
}

export class TestHosts {
  readonly hosts: TestHost[] = [];
  private readonly procs: ChildProcess[] = [];
  private readonly bridge: string;
  /** The bridge's address: how the test process (outside every namespace) reaches them. */
  readonly gateway: string;

  private constructor(
    private readonly tag: string,
    subnet: number,
  ) {
    this.bridge = `${tag}br`;
    this.gateway = `10.77.${subnet}.1`;
  }

  /** Makes `count` hosts named h0, h1, …; tears down whatever a crashed earlier run with the same tag left. */
  static create(count: number): TestHosts {
    const tag = `ms${process.pid % 10000}`;
    const t = new TestHosts(tag, 1 + (process.pid % 250));
    t.destroy();
    const subnet = t.gateway.slice(0, t.gateway.lastIndexOf("."));
    ip("link", "add", t.bridge, "type", "bridge");
    ip("addr", "add", `${t.gateway}/24`, "dev", t.bridge);
    ip("link", "set", t.bridge, "up");
    for (let i = 0; i < count; i++) {
      const host: TestHost = { name: `${tag}h${i}`, ip: `${subnet}.${10 + i}`, dev: `${tag}p${i}`, peer: `${tag}v${i}` };
      ip("netns", "add", host.name);
      ip("link", "add", host.peer, "type", "veth", "peer", "name", host.dev);
      ip("link", "set", host.dev, "netns", host.name);
      ip("link", "set", host.peer, "master", t.bridge, "up");
      ip("-n", host.name, "link", "set", "lo", "up");
      ip("-n", host.name, "addr", "add", `${host.ip}/24`, "dev", host.dev);
      ip("-n", host.name, "link", "set", host.dev, "up");
      t.hosts.push(host);
    }
    return t;
  }

  /** Starts `minispark <args>` inside a host; its output goes to `log`. */
  start(host: TestHost, args: string[], log: fs.WriteStream, env: Record<string, string>): ChildProcess {
    const child = spawn("ip", ["netns", "exec", host.name, process.execPath, CLI, ...args], {
      env: { ...process.env, MALLOC_ARENA_MAX: "2", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const s of [child.stdout!, child.stderr!]) createInterface({ input: s }).on("line", (l) => log.write(`${host.name} ${l}\n`));
    this.procs.push(child);
    return child;
  }

  /** Cuts a host off: its end of the link goes down. */
  linkDown(host: TestHost): void {
    ip("-n", host.name, "link", "set", host.dev, "down");
  }

  linkUp(host: TestHost): void {
    ip("-n", host.name, "link", "set", host.dev, "up");
  }

  /**
   * Makes a host's network poor: `delayMs` more latency on what it sends
   * (netem; where the kernel has no netem, a token bucket slow enough to
   * queue), and `lossPercent` of what it receives dropped at random. Returns
   * what was applied.
   */
  degrade(host: TestHost, delayMs: number, lossPercent: number): string {
    const tc = (...args: string[]) => spawnSync("ip", ["netns", "exec", host.name, "tc", "qdisc", "add", "dev", host.dev, "root", ...args], { encoding: "utf8" });
    const applied: string[] = [];
    const netem = tc("netem", "delay", `${delayMs}ms`, "loss", `${lossPercent}%`);
    if (netem.status === 0) return `netem delay ${delayMs}ms loss ${lossPercent}%`;
    const tbf = tc("tbf", "rate", "4mbit", "burst", "16kb", "latency", `${Math.max(50, delayMs * 4)}ms`);
    if (tbf.status !== 0) throw new Error(`tc: ${tbf.stderr.trim()}`);
    applied.push("tbf rate 4mbit (no netem in this kernel)");
    execFileSync("ip", ["netns", "exec", host.name, "iptables", "-A", "INPUT", "-i", host.dev, "-m", "statistic", "--mode", "random", "--probability", String(lossPercent / 100), "-j", "DROP"], {
      stdio: "pipe",
    });
    applied.push(`iptables drops ${lossPercent}% of incoming packets`);
    return applied.join(", ");
  }

  /** Stops every process and removes every namespace and link; safe to call twice, and on a half-made setup. */
  destroy(): void {
    for (const p of this.procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
    const namespaces = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
    for (const line of namespaces.split("\n")) {
      const name = line.split(" ")[0]!;
      if (name.startsWith(`${this.tag}h`)) {
        // Processes still inside would keep the namespace's network alive.
        spawnSync("ip", ["netns", "pids", name], { encoding: "utf8" })
          .stdout?.split("\n")
          .filter(Boolean)
          .forEach((pid) => {
            try {
              process.kill(Number(pid), "SIGKILL");
            } catch {
              // Already gone.
            }
          });
        spawnSync("ip", ["netns", "del", name]);
      }
    }
    spawnSync("ip", ["link", "del", this.bridge]);
  }
}

/** Resolves with the first line of a child's stderr that matches, or rejects when it exits first. */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms`)), timeoutMs);
    createInterface({ input: child.stderr! }).on("line", (line) => {
      if (!pattern.test(line)) return;
      clearTimeout(timer);
      resolve(line);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`process exited with ${code} before printing ${pattern}`));
    });
  });
}
