// docs/openapi.json, the OpenAPI 3.1 description of the master's REST API: valid
// against the OpenAPI 3.1 schema, and naming exactly the routes a real master
// registers — taken from its router as it starts, not from a list kept by hand.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Router } from "../src/common/http-server.js";
import { packageVersion } from "../src/common/version.js";
import { MasterProcess } from "../src/master/master-process.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DOC = JSON.parse(fs.readFileSync(join(ROOT, "docs", "openapi.json"), "utf8")) as { info: { version: string }; paths: Record<string, Record<string, unknown>> };
const METHODS = new Set(["get", "put", "post", "delete", "patch", "head", "options"]);

/** "GET /api/v1/jobs/:id" for each route a master registers on its router while it starts. */
async function masterRoutes(): Promise<string[]> {
  const routes: string[] = [];
  const add = Router.prototype.add;
  Router.prototype.add = function (this: Router, method, pattern, ...rest) {
    routes.push(`${method} ${pattern}`);
    return add.call(this, method, pattern, ...rest);
  };
  const dir = fs.mkdtempSync(join(os.tmpdir(), "minispark-openapi-"));
  const master = new MasterProcess({
    host: "127.0.0.1",
    port: 0,
    dbPath: join(dir, "master.db"),
    token: "openapi-test",
    workerTimeoutMs: 10_000,
    userCode: true,
    taskTimeoutMs: 0,
    maxResultBytes: 1 << 20,
    tls: null,
    allowHosts: [],
  });
  try {
    await master.start();
  } finally {
    Router.prototype.add = add;
    await master.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return routes;
}

describe("the OpenAPI description of the REST API", () => {
  let served: string[];
  before(async () => {
    served = await masterRoutes();
  });

  it("is a valid OpenAPI 3.1 document of this package's version", async () => {
    const validator = new Validator();
    const res = await validator.validate(structuredClone(DOC));
    assert.ok(res.valid, JSON.stringify(res.errors));
    assert.equal(validator.version, "3.1");
    assert.equal(DOC.info.version, packageVersion());
  });

  it("describes every route the master serves, and only those", () => {
    const documented = Object.entries(DOC.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((k) => METHODS.has(k))
        .map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`),
    );
    assert.ok(served.length >= 15, `the router recorded ${served.length} routes`);
    assert.deepEqual([...documented].sort(), [...served].sort());
  });
});
