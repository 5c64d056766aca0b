// What each worker is to be told to drop with its next heartbeat reply: the
// datasets unpersisted (DELETE /api/v1/apps/{app}/datasets/{id}) whose blocks
// the block tracker said it held. Bounded per worker: past the bound the oldest
// go, and those blocks stay until their application ends (its end releases
// everything). Pure; owned by master-process.ts.
import type { AppId, WorkerId } from "../common/ids.js";
import type { DatasetId } from "../plan/storage-level.js";
import { MAX_QUEUED_RELEASES } from "../cluster/protocol.js";

export interface DatasetRelease {
  application: AppId;
  datasetId: DatasetId;
}

export class BlockReleases {
  private readonly queued = new Map<WorkerId, DatasetRelease[]>();

  add(workers: readonly WorkerId[], release: DatasetRelease): void {
    for (const w of workers) {
      let list = this.queued.get(w);
      if (!list) this.queued.set(w, (list = []));
      if (list.some((r) => r.application === release.application && r.datasetId === release.datasetId)) continue;
      list.push(release);
      if (list.length > MAX_QUEUED_RELEASES) list.shift();
    }
  }

  /** The worker's releases of one application not yet handed out, for a task launch to carry (they stay queued for its heartbeat). */
  pending(worker: WorkerId, application: AppId): DatasetId[] {
    return (this.queued.get(worker) ?? []).filter((r) => r.application === application).map((r) => r.datasetId);
  }

  /** The worker's releases, handed out once. */
  take(worker: WorkerId): DatasetRelease[] {
    const list = this.queued.get(worker) ?? [];
    this.queued.delete(worker);
    return list;
  }
}
