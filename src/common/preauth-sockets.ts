// Connections that have not yet made an authenticated request, per client and
// in all: at most ConnectionLimits.preAuthPerClient of one client and
// preAuthTotal together, each for at most preAuthMs. Past a cap the *oldest*
// such connection is closed, not the new one: on loopback the master, the
// workers and the clients share one address with whoever attacks from there,
// and a real peer's new connection authenticates within milliseconds, while
// idle sockets held open to fill the cap are the ones that get recycled.
// Connections that made an authenticated request are no longer counted here
// (only by maxConnections). Attached by http-server.ts to every listener.
import type { Server } from "node:http";
import type { Socket } from "node:net";
import { clientKey, type ConnectionLimits } from "./connection-limits.js";

interface Entry {
  socket: Socket;
  client: string;
  timer: NodeJS.Timeout;
}

export class PreAuthSockets {
  /** By connection (remote address and port), oldest first. */
  private readonly all = new Map<string, Entry>();
  private readonly byClient = new Map<string, Map<string, Entry>>();

  constructor(private readonly limits: ConnectionLimits) {}

  attach(server: Server): void {
    // The raw TCP socket, before any TLS handshake: a handshake never finished is held as long as an idle socket.
    server.on("connection", (socket: Socket) => this.admit(socket));
  }

  get size(): number {
    return this.all.size;
  }

  /** The connection `socket` (a request's, possibly TLS) made an authenticated request: it is a peer's now. */
  authenticated(socket: Socket): void {
    const e = this.all.get(connKey(socket));
    if (e) this.forget(connKey(socket), e);
  }

  private admit(socket: Socket): void {
    const key = connKey(socket);
    const client = clientKey(socket.remoteAddress);
    let mine = this.byClient.get(client);
    if (!mine) this.byClient.set(client, (mine = new Map()));
    if (mine.size >= this.limits.preAuthPerClient) this.evict(mine.keys().next().value!);
    if (this.all.size >= this.limits.preAuthTotal) this.evict(this.all.keys().next().value!);
    const timer = setTimeout(() => this.evict(key), this.limits.preAuthMs).unref();
    const entry: Entry = { socket, client, timer };
    this.all.set(key, entry);
    mine.set(key, entry);
    socket.once("close", () => {
      if (this.all.get(key) === entry) this.forget(key, entry);
    });
  }

  private evict(key: string): void {
    const e = this.all.get(key);
    if (!e) return;
    this.forget(key, e);
    e.socket.destroy();
  }

  private forget(key: string, e: Entry): void {
    clearTimeout(e.timer);
    this.all.delete(key);
    const mine = this.byClient.get(e.client);
    mine?.delete(key);
    if (mine?.size === 0) this.byClient.delete(e.client);
  }
}

function connKey(s: Socket): string {
  return `${s.remoteAddress}|${s.remotePort}`;
}
