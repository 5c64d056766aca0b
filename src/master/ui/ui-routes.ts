// The master's web UI routes: `GET /` serves the page and `GET /ui/...` its script,
// stylesheet and icon. They answer without the token (a browser cannot send a bearer
// header when it navigates) and hold only static code; the page itself asks for
// the token and sends it as `Authorization: Bearer` on every API call.
//
// The script is the ES modules compiled from app/*.ts (their own tsconfig, run by
// `npm run build`) into the app/ folder next to this module, read once when the
// master starts and served as `GET /ui/app/{module}`: the npm package ships them in
// dist/src, they need no network, and a master whose build lacks them refuses to
// start rather than serve a blank page.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MinisparkError } from "../../common/errors.js";
import { HANDLED, type Request, type Router } from "../../common/http-server.js";
import { PROTOCOL_VERSION, packageVersion } from "../../common/version.js";
import { APP_CSS, FAVICON_SVG, indexHtml } from "./assets.js";

const STATIC_ASSETS: [path: string, contentType: string, body: string][] = [
  ["/", "text/html; charset=utf-8", indexHtml(packageVersion(), PROTOCOL_VERSION)],
  ["/ui/app.css", "text/css; charset=utf-8", APP_CSS],
  ["/ui/favicon.svg", "image/svg+xml", FAVICON_SVG],
];

const APP_DIR = fileURLToPath(new URL("./app/", import.meta.url));

/** The compiled script's modules by file name (the page loads main.js, which imports the rest). */
function appScripts(): Map<string, Buffer> {
  const names = existsSync(APP_DIR) ? readdirSync(APP_DIR).filter((n) => n.endsWith(".js")) : [];
  if (!names.includes("main.js")) throw new Error(`the web UI's script is not built: ${APP_DIR}main.js is missing (npm run build compiles src/master/ui/app)`);
  return new Map(names.map((n) => [n, readFileSync(APP_DIR + n)]));
}

// Only same-origin script, style and API calls; no framing, no referrer (the token lives in the fragment).
const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

function send(req: Request, contentType: string, bytes: Buffer): typeof HANDLED {
  req.res.writeHead(200, { ...SECURITY_HEADERS, "content-type": contentType, "content-length": bytes.length });
  req.res.end(bytes);
  return HANDLED;
}

export function registerUi(router: Router): void {
  for (const [path, contentType, body] of STATIC_ASSETS) {
    const bytes = Buffer.from(body, "utf8");
    router.add("GET", path, (req) => send(req, contentType, bytes), { public: true });
  }
  const scripts = appScripts();
  router.add(
    "GET",
    "/ui/app/:module",
    (req) => {
      const bytes = scripts.get(req.params.module!);
      if (!bytes) throw new MinisparkError("NOT_FOUND", `no such endpoint: GET ${req.path}`);
      return send(req, "text/javascript; charset=utf-8", bytes);
    },
    { public: true },
  );
}
