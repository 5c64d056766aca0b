// The checks behind test/kubernetes.test.ts, on deploy/kubernetes/*.yaml read as
// documents: schema validation against the Kubernetes API (kubernetes-models'
// generated validators for types, formats and required fields, and its
// TypeScript declarations, compiled, for fields the API does not have: the
// OpenAPI schemas allow unknown fields, which the API server then drops or
// refuses), and the references between objects no schema sees (selectors,
// Secrets, volumes, probe ports, the drain against the grace period); and the
// command a container's process would get, moved onto this machine, for
// test/kubernetes-run.test.ts.
import fs from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { parseAllDocuments } from "yaml";
import { Deployment, type IDeployment } from "kubernetes-models/apps/v1/Deployment";
import { StatefulSet, type IStatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service, type IService } from "kubernetes-models/v1/Service";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodTemplateSpec } from "kubernetes-models/v1/PodTemplateSpec";
import { parseDuration } from "../../src/cli/flag-values.js";
import { parseSize } from "../../src/common/size.js";
import { DEREGISTER_TIMEOUT_MS } from "../../src/worker/worker-process.js";

export interface Manifest {
  /** file#n, for messages. */
  where: string;
  doc: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> } } & Record<string, unknown>;
}

/** Every document of every *.yaml in `dir` but kustomization.yaml (not an API object). */
export function loadManifests(dir: string, files = fs.readdirSync(dir).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")): Manifest[] {
  return files.sort().flatMap((file) =>
    parseAllDocuments(fs.readFileSync(join(dir, file), "utf8")).map((d, i) => {
      if (d.errors.length) throw new Error(`${file}#${i}: ${d.errors[0]!.message}`);
      return { where: `${file}#${i}`, doc: d.toJS() as Manifest["doc"] };
    }),
  );
}

interface Model {
  validate(): void;
}

/** The kinds these manifests use: the validating model, and the declaration that names the API's fields. */
const KINDS: Record<string, { model: new (data: never) => Model; module: string; type: string }> = {
  "v1 Namespace": { model: Namespace, module: "kubernetes-models/v1/Namespace", type: "INamespace" },
  "v1 Secret": { model: Secret, module: "kubernetes-models/v1/Secret", type: "ISecret" },
  "v1 Service": { model: Service, module: "kubernetes-models/v1/Service", type: "IService" },
  "v1 PersistentVolumeClaim": { model: PersistentVolumeClaim, module: "kubernetes-models/v1/PersistentVolumeClaim", type: "IPersistentVolumeClaim" },
  "apps/v1 Deployment": { model: Deployment, module: "kubernetes-models/apps/v1/Deployment", type: "IDeployment" },
  "apps/v1 StatefulSet": { model: StatefulSet, module: "kubernetes-models/apps/v1/StatefulSet", type: "IStatefulSet" },
};

/** What the API's schemas refuse in these manifests, one line each (none: all valid). */
export function schemaProblems(manifests: readonly Manifest[]): string[] {
  const problems: string[] = [];
  const known: Manifest[] = [];
  for (const m of manifests) {
    const kind = KINDS[`${m.doc.apiVersion} ${m.doc.kind}`];
    if (!kind) {
      problems.push(`${m.where}: no schema here for ${m.doc.apiVersion} ${m.doc.kind}`);
      continue;
    }
    known.push(m);
    try {
      new kind.model(m.doc as never).validate();
    } catch (e) {
      problems.push(`${m.where}: ${(e as Error).message}`);
    }
  }
  return [...problems, ...unknownFieldProblems(known)];
}

/**
 * Fields the API does not have, found by type-checking each document as an
 * object literal of its kind's declared interface (excess property checks),
 * in one program compiled in memory next to this package's node_modules.
 */
function unknownFieldProblems(manifests: readonly Manifest[]): string[] {
  const dir = new URL("../../../test/", import.meta.url).pathname;
  const sources = new Map(
    manifests.map((m, i) => {
      const kind = KINDS[`${m.doc.apiVersion} ${m.doc.kind}`]!;
      return [join(dir, `__manifest${i}.ts`), { m, text: `import type { ${kind.type} } from "${kind.module}";\nexport const doc: ${kind.type} = ${JSON.stringify(m.doc, null, 1)};\n` }];
    }),
  );
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => sources.has(f) || fileExists(f);
  host.readFile = (f) => sources.get(f)?.text ?? readFile(f);
  host.getSourceFile = (f, lang, ...rest) => {
    const s = sources.get(f);
    return s ? ts.createSourceFile(f, s.text, lang) : getSourceFile(f, lang, ...rest);
  };
  const program = ts.createProgram([...sources.keys()], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file ? (sources.get(d.file.fileName)?.m.where ?? d.file.fileName) : "";
    const text = d.file && d.start !== undefined ? d.file.text.slice(d.start, d.start + 60).split("\n")[0] : "";
    return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}${text ? ` (at ${text})` : ""}`;
  });
}

/** A workload's pods: where its template is, its selector and its claim templates' names. */
interface Workload {
  where: string;
  namespace: string | undefined;
  template: IPodTemplateSpec;
  selector: Record<string, string>;
  claimTemplates: string[];
  serviceName: string | undefined;
}

function workloads(manifests: readonly Manifest[]): Workload[] {
  return manifests.flatMap((m): Workload[] => {
    if (m.doc.kind !== "Deployment" && m.doc.kind !== "StatefulSet") return [];
    const spec = (m.doc as unknown as IDeployment | IStatefulSet).spec!;
    const sts = m.doc.kind === "StatefulSet" ? (m.doc as unknown as IStatefulSet).spec! : null;
    return [
      {
        where: m.where,
        namespace: m.doc.metadata.namespace,
        template: spec.template,
        selector: spec.selector.matchLabels ?? {},
        claimTemplates: (sts?.volumeClaimTemplates ?? []).map((c) => c.metadata?.name ?? ""),
        serviceName: sts?.serviceName,
      },
    ];
  });
}

function selects(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** Bytes of a Kubernetes quantity such as 3Gi, 512M or 1e9. */
function quantityBytes(q: string | number): number {
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(q));
  if (!m) throw new Error(`cannot read the quantity "${q}"`);
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2] ?? ""] ?? 1;
  return Number(m[1]) * unit;
}

/** CPUs of a quantity such as 2 or 500m. */
function quantityCpus(q: string | number): number {
  const s = String(q);
  return s.endsWith("m") ? Number(s.slice(0, -1)) / 1000 : Number(s);
}

/** The value of `--name` in a container's args. */
function argValue(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? undefined : args[i + 1];
}

/** Room a worker's pod must leave beyond its drain for stopping its threads and server. */
const STOP_MARGIN_MS = 5000;

/** How long a worker takes to leave on SIGTERM at most: its --shutdown-grace, then deregistering. */
export function workerDrainMs(args: readonly string[]): number {
  const grace = argValue(args, "shutdown-grace");
  return (grace === undefined ? 30_000 : parseDuration(grace, "--shutdown-grace")) + DEREGISTER_TIMEOUT_MS;
}

/** What refers to something these manifests do not have, one line each (none: all consistent). */
export function crossReferenceProblems(manifests: readonly Manifest[]): string[] {
  const problems: string[] = [];
  const all = workloads(manifests);
  const namespaces = manifests.filter((m) => m.doc.kind === "Namespace").map((m) => m.doc.metadata.name);
  for (const m of manifests) {
    if (m.doc.kind !== "Namespace" && !namespaces.includes(m.doc.metadata.namespace ?? ""))
      problems.push(`${m.where}: namespace ${m.doc.metadata.namespace} is not one of these manifests' (${namespaces.join(", ")})`);
  }
  const secrets = manifests.filter((m) => m.doc.kind === "Secret");
  const claims = manifests.filter((m) => m.doc.kind === "PersistentVolumeClaim").map((m) => m.doc.metadata.name);
  const services = manifests.filter((m) => m.doc.kind === "Service");

  for (const s of services) {
    const svc = s.doc as unknown as IService;
    const selector = svc.spec?.selector ?? {};
    const pods = all.filter((w) => w.namespace === s.doc.metadata.namespace && selects(selector, w.template.metadata?.labels));
    if (!Object.keys(selector).length || !pods.length) problems.push(`${s.where}: selector ${JSON.stringify(selector)} matches no pod template`);
    for (const port of svc.spec?.ports ?? []) {
      const target = port.targetPort ?? port.port;
      for (const w of pods) {
        const ports = (w.template.spec?.containers ?? []).flatMap((c) => c.ports ?? []);
        if (!ports.some((p) => p.name === target || p.containerPort === target)) problems.push(`${s.where}: targetPort ${target} is no container port of ${w.where}`);
      }
    }
  }

  for (const w of all) {
    const spec = w.template.spec!;
    if (!selects(w.selector, w.template.metadata?.labels)) problems.push(`${w.where}: its selector does not select its own pod template`);
    if (w.serviceName !== undefined) {
      const governing = services.find((s) => s.doc.metadata.name === w.serviceName && s.doc.metadata.namespace === w.namespace)?.doc as unknown as IService | undefined;
      if (governing?.spec?.clusterIP !== "None" || !selects(governing.spec.selector ?? {}, w.template.metadata?.labels))
        problems.push(`${w.where}: serviceName ${w.serviceName} is not a headless Service selecting its pods`);
    }
    const volumes = [...(spec.volumes ?? []).map((v) => v.name), ...w.claimTemplates];
    for (const v of spec.volumes ?? []) {
      const claim = v.persistentVolumeClaim?.claimName;
      if (claim !== undefined && !claims.includes(claim)) problems.push(`${w.where}: volume ${v.name} claims ${claim}, which is not declared`);
    }
    for (const c of spec.containers) {
      const at = `${w.where} container ${c.name}`;
      for (const mount of c.volumeMounts ?? []) if (!volumes.includes(mount.name)) problems.push(`${at}: mounts ${mount.name}, which is no volume of the pod`);
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (!ref) continue;
        const secret = secrets.find((s) => s.doc.metadata.name === ref.name && s.doc.metadata.namespace === w.namespace);
        const keys = secret ? [...Object.keys((secret.doc.data as object | undefined) ?? {}), ...Object.keys((secret.doc.stringData as object | undefined) ?? {})] : [];
        if (!keys.includes(ref.key)) problems.push(`${at}: env ${e.name} refers to secret ${ref.name} key ${ref.key}, which is not declared`);
      }
      const env = (c.env ?? []).map((e) => e.name);
      for (const a of c.args ?? []) for (const [, v] of a.matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) if (!env.includes(v!)) problems.push(`${at}: args use $(${v}), which is not in its env`);
      const ports = c.ports ?? [];
      for (const [name, probe] of [
        ["readiness", c.readinessProbe],
        ["liveness", c.livenessProbe],
        ["startup", c.startupProbe],
      ] as const) {
        const port = probe?.httpGet?.port;
        if (port !== undefined && !ports.some((p) => p.name === port || p.containerPort === port)) problems.push(`${at}: ${name} probe port ${port} is no container port`);
      }
      if (c.args?.[0] === "worker") problems.push(...workerProblems(at, c, spec.terminationGracePeriodSeconds ?? 30));
    }
  }
  return problems;
}

/** A worker's pod must outlast its drain, and its resources match what it is told it has. */
function workerProblems(at: string, c: IContainer, graceSeconds: number): string[] {
  const problems: string[] = [];
  const args = c.args ?? [];
  const drainMs = workerDrainMs(args);
  if (graceSeconds * 1000 < drainMs + STOP_MARGIN_MS)
    problems.push(`${at}: terminationGracePeriodSeconds ${graceSeconds} does not cover the drain (${drainMs / 1000} s) and stopping (${STOP_MARGIN_MS / 1000} s)`);
  const slots = argValue(args, "slots");
  const memory = argValue(args, "memory");
  // The defaults are the node's cores and a quarter of the node's memory, not the container's.
  if (slots === undefined || memory === undefined) return [...problems, `${at}: --slots and --memory must be given (the defaults see the node, not the container)`];
  const cpu = c.resources?.requests?.cpu;
  if (cpu === undefined || quantityCpus(cpu) !== Number(slots)) problems.push(`${at}: requests.cpu ${cpu} is not one CPU for each of its ${slots} slots`);
  const limit = c.resources?.limits?.memory;
  const request = c.resources?.requests?.memory;
  const budget = parseSize(memory);
  if (limit === undefined || quantityBytes(limit) < budget + 512 * 2 ** 20) problems.push(`${at}: limits.memory ${limit} leaves under 512 MiB beyond --memory ${memory}`);
  if (request === undefined || limit === undefined || quantityBytes(request) !== quantityBytes(limit))
    problems.push(`${at}: requests.memory ${request} should equal limits.memory ${limit} (a worker is not to be evicted for using what it was given)`);
  return problems;
}

/** How a manifest's container runs here: its mounts as directories, its ports as free ones, field refs and Secrets as values. */
export interface LocalPlacement {
  /** mountPath → a local directory. */
  mounts: ReadonlyMap<string, string>;
  /** container or Service port → a free local port. */
  ports: ReadonlyMap<number, number>;
  /** Service host names → the local address they reach. */
  hosts: ReadonlyMap<string, string>;
  /** Downward API fieldPath → its value (status.podIP → 127.0.0.1). */
  fields: Readonly<Record<string, string>>;
  /** secret name/key → its value. */
  secrets: Readonly<Record<string, string>>;
}

/**
 * The environment and arguments a container's process gets, as Kubernetes
 * builds them ($(VAR) in args expanded from the container's env), then moved
 * onto this machine: paths under a mount into its directory, ports and Service
 * names to local ones.
 */
export function localCommand(c: IContainer, place: LocalPlacement): { env: Record<string, string>; args: string[] } {
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    const field = e.valueFrom?.fieldRef?.fieldPath;
    const secret = e.valueFrom?.secretKeyRef;
    const value = e.value ?? (field !== undefined ? place.fields[field] : secret ? place.secrets[`${secret.name}/${secret.key}`] : undefined);
    if (value === undefined) throw new Error(`${c.name}: no value here for env ${e.name}`);
    env[e.name] = value;
  }
  const args = (c.args ?? []).map((a) => {
    let s = a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole);
    // The deepest mount holding the path, once: a directory there may itself lie under another mount's path.
    const mount = [...place.mounts.keys()].sort((a, b) => b.length - a.length).find((m) => s === m || s.startsWith(m + "/"));
    if (mount !== undefined) s = place.mounts.get(mount)! + s.slice(mount.length);
    for (const [name, addr] of place.hosts) s = s.replace(new RegExp(`(^|//)${name}(?=:)`), `$1${addr}`);
    return s.replace(/(^|:)(\d+)$/, (whole, sep: string, port: string) => (place.ports.has(Number(port)) ? `${sep}${place.ports.get(Number(port))}` : whole));
  });
  return { env, args };
}
