// The sign-in form, shown when the API answers 401: the token typed here is kept
// for the tab (token.ts) and the page redraws with it.
import { h, type PageActions } from "./dom.js";
import { keepToken } from "./token.js";

export function loginView(message: string, actions: PageActions): HTMLFormElement {
  const input = h("input", { type: "password", id: "token", autocomplete: "off", placeholder: "Access token" });
  const form = h(
    "form",
    { class: "panel login", id: "login" },
    h("h1", {}, "Sign in"),
    h("p", { class: "muted" }, "Paste the cluster's access token (MINISPARK_TOKEN). It stays in this browser tab."),
    h("p", { class: "msg", id: "login-message" }, message),
    input,
    h("button", { class: "primary", type: "submit" }, "Open the dashboard"),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (!input.value.trim()) return;
    keepToken(input.value.trim());
    actions.refresh();
  });
  return form;
}
