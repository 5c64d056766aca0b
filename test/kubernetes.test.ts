// The Kubernetes manifests (deploy/kubernetes, issue 15): every object is valid
// for the Kubernetes API's schemas, offline (kubectl's dry run needs a server),
// with no field the API lacks; the objects refer only to each other's real
// names, labels and ports; a worker's pod outlives its drain. Each check is
// also shown to fail on a manifest broken on purpose.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { parse } from "yaml";
import { fileURLToPath } from "node:url";
import { crossReferenceProblems, loadManifests, schemaProblems, workerDrainMs, type Manifest } from "./helpers/kubernetes-manifests.js";

const DIR = fileURLToPath(new URL("../../deploy/kubernetes/", import.meta.url));
const manifests = loadManifests(DIR);

function find(kind: string, name: string, from: readonly Manifest[] = manifests): any {
  const m = from.find((x) => x.doc.kind === kind && x.doc.metadata.name === name);
  assert.ok(m, `no ${kind} ${name}`);
  return m.doc;
}

/** The manifests with one document changed by `edit`. */
function broken(kind: string, name: string, edit: (doc: any) => void): Manifest[] {
  const copy = structuredClone(manifests);
  edit(find(kind, name, copy));
  return copy;
}

/** One document, changed by `edit`. */
function brokenDoc(kind: string, name: string, edit: (doc: any) => void): Manifest {
  const m = structuredClone(manifests.find((x) => x.doc.kind === kind && x.doc.metadata.name === name)!);
  edit(m.doc);
  return m;
}

describe("Kubernetes manifests", () => {
  it("kustomization.yaml lists every manifest but the example Secret, which it must not apply", () => {
    const k = parse(fs.readFileSync(`${DIR}kustomization.yaml`, "utf8"));
    assert.equal(k.kind, "Kustomization");
    const files = fs.readdirSync(DIR).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
    assert.deepEqual([...k.resources].sort(), files.filter((f) => f !== "secret.example.yaml").sort());
  });

  it("has the master as a one-replica StatefulSet with its database on a claim, Services, workers and the data claim", () => {
    assert.deepEqual(manifests.map((m) => `${m.doc.kind}/${m.doc.metadata.name}`).sort(), [
      "Deployment/minispark-worker",
      "Namespace/minispark",
      "PersistentVolumeClaim/minispark-data",
      "Secret/minispark-token",
      "Service/minispark-master",
      "Service/minispark-master-headless",
      "StatefulSet/minispark-master",
    ]);
    const master = find("StatefulSet", "minispark-master");
    assert.equal(master.spec.replicas, 1);
    const c = master.spec.template.spec.containers[0];
    const db = c.args[c.args.indexOf("--db") + 1];
    const claim = master.spec.volumeClaimTemplates[0].metadata.name;
    assert.ok(db.startsWith(c.volumeMounts.find((v: any) => v.name === claim).mountPath + "/"), "--db lies on the claim");
    assert.deepEqual(find("PersistentVolumeClaim", "minispark-data").spec.accessModes, ["ReadWriteMany"]);
    const worker = find("Deployment", "minispark-worker").spec.template.spec.containers[0];
    assert.equal(worker.volumeMounts.find((v: any) => v.name === "data").mountPath, worker.args[worker.args.indexOf("--data-dir") + 1]);
    assert.equal(worker.args[worker.args.indexOf("--advertise") + 1], "$(POD_IP):7078");
    assert.deepEqual(worker.env.find((e: any) => e.name === "POD_IP").valueFrom, { fieldRef: { fieldPath: "status.podIP" } });
    assert.equal(worker.args[worker.args.indexOf("--master") + 1], `http://${find("Service", "minispark-master").metadata.name}:7077`);
    assert.equal(find("Secret", "minispark-token").stringData.token, "replace-with-the-output-of-openssl-rand-hex-32", "no real token committed");
  });

  it("every object validates against the Kubernetes API schemas, with no unknown field", () => {
    assert.deepEqual(schemaProblems(manifests), []);
  });

  it("schema validation refuses an unknown field, a wrong type, a bad quantity and a missing required field", () => {
    const cases: [Manifest, RegExp][] = [
      [brokenDoc("Deployment", "minispark-worker", (d) => (d.spec.template.spec.containers[0].imagePullPolicyy = "Always")), /imagePullPolicyy/],
      [brokenDoc("StatefulSet", "minispark-master", (d) => (d.spec.template.spec.terminationGracePeriod = 30)), /terminationGracePeriod\b/],
      [brokenDoc("Deployment", "minispark-worker", (d) => (d.spec.replicas = "3")), /replicas/],
      [brokenDoc("Deployment", "minispark-worker", (d) => (d.spec.template.spec.containers[0].resources.limits.memory = "3 GB")), /memory/],
      [brokenDoc("Service", "minispark-master", (d) => delete d.spec.ports[0].port), /port/],
      [brokenDoc("Deployment", "minispark-worker", (d) => (d.spec.template.spec.containers[0].readinessProbe.httpGet.path = 5)), /path/],
    ];
    // One validation of all the broken documents: the declarations are compiled once.
    const problems = schemaProblems(cases.map(([m], i) => ({ ...m, where: `case ${i}` })));
    cases.forEach(([, mention], i) => {
      const mine = problems.filter((p) => p.startsWith(`case ${i}:`));
      assert.ok(
        mine.some((p) => mention.test(p)),
        `case ${i} not refused (${mention}): ${mine.join("; ")}`,
      );
    });
  });

  it("selectors, Secrets, volumes, claims, probe ports, env references and the grace period all fit together", () => {
    assert.deepEqual(crossReferenceProblems(manifests), []);
    const worker = find("Deployment", "minispark-worker");
    assert.ok(worker.spec.template.spec.terminationGracePeriodSeconds * 1000 > workerDrainMs(worker.spec.template.spec.containers[0].args));
  });

  it("the cross-reference check finds each kind of broken reference", () => {
    const w = (d: any) => d.spec.template.spec.containers[0];
    const cases: [Manifest[], RegExp][] = [
      [broken("Service", "minispark-master", (d) => (d.spec.selector["app.kubernetes.io/component"] = "primary")), /selector .* matches no pod template/],
      [broken("Service", "minispark-master", (d) => (d.spec.ports[0].targetPort = "web")), /targetPort web/],
      [broken("StatefulSet", "minispark-master", (d) => (d.spec.serviceName = "minispark-master")), /not a headless Service/],
      [broken("Deployment", "minispark-worker", (d) => (d.spec.selector.matchLabels["app.kubernetes.io/component"] = "master")), /does not select its own pod template/],
      [broken("Deployment", "minispark-worker", (d) => (w(d).env[1].valueFrom.secretKeyRef.name = "token")), /secret token key token/],
      [broken("Secret", "minispark-token", (d) => (d.stringData = { key: "x" })), /key token, which is not declared/],
      [broken("Deployment", "minispark-worker", (d) => (w(d).volumeMounts[1].name = "scratch")), /mounts scratch/],
      [broken("StatefulSet", "minispark-master", (d) => (d.spec.volumeClaimTemplates[0].metadata.name = "store")), /mounts db/],
      [broken("Deployment", "minispark-worker", (d) => (d.spec.template.spec.volumes[0].persistentVolumeClaim.claimName = "inputs")), /claims inputs/],
      [broken("Deployment", "minispark-worker", (d) => (w(d).livenessProbe.httpGet.port = 8080)), /liveness probe port 8080/],
      [broken("StatefulSet", "minispark-master", (d) => (d.spec.template.spec.containers[0].readinessProbe.httpGet.port = "api")), /readiness probe port api/],
      [broken("Deployment", "minispark-worker", (d) => (w(d).env = w(d).env.filter((e: any) => e.name !== "POD_IP"))), /\$\(POD_IP\)/],
      [broken("Deployment", "minispark-worker", (d) => (d.spec.template.spec.terminationGracePeriodSeconds = 35)), /does not cover the drain/],
      [broken("Deployment", "minispark-worker", (d) => w(d).args.splice(w(d).args.indexOf("--shutdown-grace") + 1, 1, "2m")), /does not cover the drain \(125 s\)/],
      [broken("Deployment", "minispark-worker", (d) => (w(d).resources.requests.cpu = "500m")), /one CPU for each of its 2 slots/],
      [broken("Deployment", "minispark-worker", (d) => (w(d).resources.limits.memory = "2Gi")), /beyond --memory/],
      [broken("Deployment", "minispark-worker", (d) => w(d).args.splice(w(d).args.indexOf("--memory"), 2)), /--slots and --memory must be given/],
      [broken("PersistentVolumeClaim", "minispark-data", (d) => (d.metadata.namespace = "default")), /namespace default/],
    ];
    for (const [docs, mention] of cases) {
      const problems = crossReferenceProblems(docs);
      assert.ok(
        problems.some((p) => mention.test(p)),
        `not found (${mention}): ${problems.join("; ")}`,
      );
    }
  });

  it("runs as non-root on a read-only root, with writable volumes only where the process writes", () => {
    for (const m of manifests.filter((x) => x.doc.kind === "Deployment" || x.doc.kind === "StatefulSet")) {
      const pod = (m.doc as any).spec.template.spec;
      assert.equal(pod.securityContext.runAsNonRoot, true, m.where);
      for (const c of pod.containers) {
        assert.equal(c.securityContext.readOnlyRootFilesystem, true, m.where);
        assert.equal(c.securityContext.allowPrivilegeEscalation, false, m.where);
        const mounts = c.volumeMounts.map((v: any) => v.mountPath);
        assert.ok(mounts.includes("/tmp"), `${m.where}: /tmp is writable`);
        for (const flag of ["--db", "--data-dir", "--spill-dir"]) {
          const dir = c.args.includes(flag) ? c.args[c.args.indexOf(flag) + 1] : null;
          if (dir)
            assert.ok(
              mounts.some((p: string) => dir === p || dir.startsWith(p + "/")),
              `${m.where}: ${flag} ${dir} is on a volume`,
            );
        }
      }
    }
    const worker = find("Deployment", "minispark-worker").spec.template.spec;
    assert.ok(worker.volumes.find((v: any) => v.name === "spill").emptyDir, "spill on the node's disk");
  });
});
