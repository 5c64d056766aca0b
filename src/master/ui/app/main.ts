// The web UI's entry (the page loads it as /ui/app/main.js): redraws the current
// route now and then every second, signs out on a 401 and waits for a token, and
// wires the sign-out button and hash changes. A redraw that finishes after a newer
// one started is dropped, so a slow reply never paints over a newer page.
import { AuthError } from "./api.js";
import { nodesOf, type PageActions } from "./dom.js";
import { loginView } from "./login-view.js";
import { route } from "./routing.js";
import { forgetToken, takeTokenFromFragment, token } from "./token.js";

const POLL_MS = 1000;

function byId(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el;
}

const main = byId("main");
const live = byId("live");
const signout = byId("signout");
let timer = 0;
let generation = 0;

function showError(e: unknown): void {
  live.className = "live bad";
  live.textContent = "disconnected: " + (e instanceof Error ? e.message : String(e));
}

const actions: PageActions = { refresh: () => void refresh(), showError };

async function refresh(): Promise<void> {
  clearTimeout(timer);
  const mine = ++generation;
  const r = route(location.hash);
  for (const t of document.querySelectorAll<HTMLElement>(".tab")) t.classList.toggle("active", t.dataset.tab === r.tab);
  try {
    const view = await r.render(actions);
    if (mine !== generation) return;
    main.replaceChildren(...nodesOf(view));
    live.className = "live ok";
    live.textContent = "live · updated " + new Date().toLocaleTimeString();
    signout.hidden = !token();
  } catch (e) {
    if (mine !== generation) return;
    if (e instanceof AuthError) {
      forgetToken();
      signout.hidden = true;
      live.className = "live bad";
      live.textContent = "signed out";
      const message = document.getElementById("login-message");
      if (message) message.textContent = e.message;
      else main.replaceChildren(loginView(e.message, actions));
      return; // no polling until a token is entered
    }
    showError(e);
  }
  timer = setTimeout(refresh, POLL_MS);
}

signout.addEventListener("click", () => {
  forgetToken();
  void refresh();
});
window.addEventListener("hashchange", () => {
  takeTokenFromFragment();
  void refresh();
});
takeTokenFromFragment();
void refresh();
