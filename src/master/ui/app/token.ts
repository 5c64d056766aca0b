// The access token of the web UI: taken from the URL fragment (#token=…, which
// `minispark` prints and which never reaches a server log) or the login form, and
// kept in sessionStorage, so it lives as long as the browser tab.

const TOKEN_KEY = "minispark.token";

/** Moves a token in the fragment into the tab's storage and takes it out of the address bar. */
export function takeTokenFromFragment(): void {
  const m = /^#token=([^&]*)/.exec(location.hash);
  if (!m) return;
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
  history.replaceState(null, "", location.pathname + location.search + "#/cluster");
}

export const token = (): string | null => sessionStorage.getItem(TOKEN_KEY);

export const keepToken = (value: string): void => sessionStorage.setItem(TOKEN_KEY, value);

export const forgetToken = (): void => sessionStorage.removeItem(TOKEN_KEY);
