// Owns a worker's S3 clients, one per configuration in use: the worker's own
// (its environment and AWS files) and each job's per-job settings over it.
// Clients keep connections alive, so they are reused across tasks and calls;
// the least recently used goes past a few, as each job's settings would
// otherwise keep one for the worker's life. Used on the worker's main thread
// by the task threads' S3 calls (s3-bridge.ts) and the output commit.
import type { S3JobSettings } from "../plan/job-spec.js";
import { S3Client } from "../storage/s3/s3-client.js";
import { type S3ConfigSources, processSources, resolveS3Config } from "../storage/s3/s3-config.js";

/** Configurations kept at once: the worker's own and a few jobs'. */
const MAX_CLIENTS = 8;

export class S3Clients {
  private readonly clients = new Map<string, S3Client>();

  constructor(private readonly sources: S3ConfigSources = processSources()) {}

  /** The client for `settings`; throws S3ConfigError naming what is missing (no credentials, a bad endpoint). */
  get(settings: S3JobSettings | null): S3Client {
    // The key holds secrets; it stays in this map and is never shown.
    const key = JSON.stringify(settings ?? {});
    let client = this.clients.get(key);
    if (client !== undefined) {
      this.clients.delete(key);
    } else {
      client = new S3Client(resolveS3Config(settings ?? {}, this.sources));
      if (this.clients.size >= MAX_CLIENTS) {
        const [oldestKey, oldest] = this.clients.entries().next().value as [string, S3Client];
        this.clients.delete(oldestKey);
        oldest.close();
      }
    }
    this.clients.set(key, client);
    return client;
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
