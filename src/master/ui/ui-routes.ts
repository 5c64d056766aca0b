// The master's web UI routes: `GET /` serves the page and `GET /ui/...` its script,
// stylesheet and icon. They answer without the token (a browser cannot send a bearer
// header when it navigates) and hold only static code; the page itself asks for
// the token and sends it as `Authorization: Bearer` on every API call.
import { HANDLED, type Router } from "../../common/http-server.js";
import { PROTOCOL_VERSION } from "../../common/protocol.js";
import { packageVersion } from "../../common/version.js";
import { APP_CSS, APP_JS, FAVICON_SVG, indexHtml } from "./assets.js";

const ASSETS: [path: string, contentType: string, body: string][] = [
  ["/", "text/html; charset=utf-8", indexHtml(packageVersion(), PROTOCOL_VERSION)],
  ["/ui/app.js", "text/javascript; charset=utf-8", APP_JS],
  ["/ui/app.css", "text/css; charset=utf-8", APP_CSS],
  ["/ui/favicon.svg", "image/svg+xml", FAVICON_SVG],
];

// Only same-origin script, style and API calls; no framing, no referrer (the token lives in the fragment).
const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

export function registerUi(router: Router): void {
  for (const [path, contentType, body] of ASSETS) {
    const bytes = Buffer.from(body, "utf8");
    router.add(
      "GET",
      path,
      (req) => {
        req.res.writeHead(200, { ...SECURITY_HEADERS, "content-type": contentType, "content-length": bytes.length });
        req.res.end(bytes);
        return HANDLED;
      },
      { public: true },
    );
  }
}
