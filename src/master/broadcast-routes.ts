// REST for broadcast variables (issue 17, item 4), under an application:
// `POST /api/v1/apps/{app}/broadcasts {bytes}` declares one and answers with its
// id and the worker to upload its JSON to; `DELETE …/broadcasts/{id}` destroys
// it. The decisions are broadcast-registry.ts's; this shell checks the URL's
// ids and the application, and picks from the live workers. Wired by
// master-process.ts.
import type { BroadcastCreated, BroadcastDestroyed } from "../common/api-types.js";
import { MinisparkError } from "../common/errors.js";
import { peerUrl } from "../common/http-client.js";
import { Reply, type Router } from "../common/http-server.js";
import { APP_ID_PATTERN, BROADCAST_ID_PATTERN, newBroadcastId, type AppId, type BroadcastId } from "../common/ids.js";
import type { AppRegistry } from "./app-registry.js";
import type { BroadcastRegistry } from "./broadcast-registry.js";
import type { WorkerRegistry } from "./worker-registry.js";

/** `{"bytes": n}` and a little room: the declaration, never the data. */
const MAX_DECLARATION_BYTES = 1024;

export function registerBroadcastRoutes(r: Router, apps: AppRegistry, broadcasts: BroadcastRegistry, workers: WorkerRegistry, now: () => number): void {
  r.add(
    "POST",
    "/api/v1/apps/:app/broadcasts",
    async (req) => {
      const app = activeApp(apps, req.params.app!);
      const body = await req.json();
      if (typeof body !== "object" || body === null || Array.isArray(body)) throw new MinisparkError("BAD_REQUEST", 'a broadcast is declared with a JSON object { "bytes": n }');
      const extra = Object.keys(body).filter((k) => k !== "bytes");
      if (extra.length > 0) throw new MinisparkError("BAD_REQUEST", `unknown member ${JSON.stringify(extra[0]!.slice(0, 40))}: a broadcast is declared with only "bytes"`);
      const candidates = workers.schedulable().map((w) => ({ id: w.id, address: w.address }));
      const { entry, uploadTo } = broadcasts.create(newBroadcastId(now()), app, (body as { bytes?: unknown }).bytes, candidates, now());
      const reply: BroadcastCreated = { id: entry.id, application: app, uploadTo: peerUrl(uploadTo.address, ""), bytes: entry.bytes };
      return new Reply(201, reply);
    },
    { maxBodyBytes: MAX_DECLARATION_BYTES },
  );
  r.add("DELETE", "/api/v1/apps/:app/broadcasts/:id", (req): BroadcastDestroyed => {
    const app = appId(req.params.app!);
    const id = broadcastId(req.params.id!);
    apps.get(app);
    return { id, application: app, workers: broadcasts.destroy(app, id) };
  });
}

function appId(s: string): AppId {
  if (!APP_ID_PATTERN.test(s)) throw new MinisparkError("BAD_REQUEST", `"${s.slice(0, 80)}" is not an application id`);
  return s as AppId;
}

function broadcastId(s: string): BroadcastId {
  if (!BROADCAST_ID_PATTERN.test(s)) throw new MinisparkError("BAD_REQUEST", `"${s.slice(0, 80)}" is not a broadcast id (bc-…, as POST /api/v1/apps/{app}/broadcasts made it)`);
  return s as BroadcastId;
}

/** The application, which must exist (404) and be ACTIVE (410 naming why it is not). */
function activeApp(apps: AppRegistry, s: string): AppId {
  const app = appId(s);
  apps.get(app);
  const why = apps.inactiveReason(app);
  if (why !== null) throw new MinisparkError("GONE", `${why}; a broadcast needs an ACTIVE application`);
  return app;
}
