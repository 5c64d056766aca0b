// Which worker holds which map output of which shuffle, and how big each of its
// reduce blocks is. Reduce tasks are told where to fetch from; when a worker is
// lost or a fetch fails, its outputs are dropped here and the scheduler re-runs
// exactly the map tasks whose output is gone (lineage).
import type { JobId, WorkerId } from "../common/ids.js";
import type { BlockLocation, ShuffleFiles } from "../plan/task.js";

export interface MapStatus {
  workerId: WorkerId;
  address: string;
  sizes: number[];
  /** Set when the output was written by an earlier job of the application and is reused (retained-shuffles.ts). */
  writtenBy?: ShuffleFiles;
}

export class MapOutputTracker {
  /** "<job>/<shuffle>" → outputs by map id. */
  private readonly outputs = new Map<string, (MapStatus | undefined)[]>();

  register(job: JobId, shuffle: number, mapId: number, status: MapStatus): void {
    const key = `${job}/${shuffle}`;
    let list = this.outputs.get(key);
    if (!list) this.outputs.set(key, (list = []));
    list[mapId] = status;
  }

  missing(job: JobId, shuffle: number, numMaps: number): number[] {
    const list = this.outputs.get(`${job}/${shuffle}`) ?? [];
    const out: number[] = [];
    for (let m = 0; m < numMaps; m++) if (!list[m]) out.push(m);
    return out;
  }

  /** Where reduce partition `reduceId` of a shuffle is, or null while some map output is missing (its stage was skipped for cached blocks). */
  locations(job: JobId, shuffle: number, numMaps: number, reduceId: number): BlockLocation[] | null {
    return (
      this.complete(job, shuffle, numMaps)?.map((s, m) => {
        const loc: BlockLocation = { mapId: m, workerId: s.workerId, address: s.address, bytes: s.sizes[reduceId] ?? 0 };
        if (s.writtenBy) loc.writtenBy = s.writtenBy;
        return loc;
      }) ?? null
    );
  }

  /** Whether `worker` holds any output a job still registered (running jobs only: ended ones are removed). */
  holdsOutputs(worker: WorkerId): boolean {
    for (const list of this.outputs.values()) if (list.some((s) => s?.workerId === worker)) return true;
    return false;
  }

  /** When output `mapId` on `worker` is one an earlier job wrote, every map id whose output `worker` holds in those same files; else null. */
  reusedOn(job: JobId, shuffle: number, mapId: number, worker: WorkerId): number[] | null {
    const list = this.outputs.get(`${job}/${shuffle}`) ?? [];
    const files = list[mapId]?.workerId === worker ? list[mapId]!.writtenBy : undefined;
    if (!files) return null;
    const out: number[] = [];
    list.forEach((s, m) => {
      if (s?.workerId === worker && s.writtenBy?.job === files.job && s.writtenBy.shuffle === files.shuffle) out.push(m);
    });
    return out;
  }

  /** Forgets one output if `worker` still holds it; true when something was dropped. */
  unregister(job: JobId, shuffle: number, mapId: number, worker: WorkerId): boolean {
    const list = this.outputs.get(`${job}/${shuffle}`);
    if (list?.[mapId]?.workerId !== worker) return false;
    list[mapId] = undefined;
    return true;
  }

  /** Forgets everything a lost worker held; returns the affected [job, shuffle, mapId]s. */
  removeWorker(worker: WorkerId): { job: JobId; shuffle: number; mapId: number }[] {
    const lost: { job: JobId; shuffle: number; mapId: number }[] = [];
    for (const [key, list] of this.outputs) {
      const [job, shuffle] = splitKey(key);
      list.forEach((s, mapId) => {
        if (s?.workerId === worker) {
          list[mapId] = undefined;
          lost.push({ job, shuffle, mapId });
        }
      });
    }
    return lost;
  }

  /** A shuffle's outputs by map id, when all `numMaps` are registered (else null). */
  complete(job: JobId, shuffle: number, numMaps: number): MapStatus[] | null {
    const list = this.outputs.get(`${job}/${shuffle}`) ?? [];
    const out: MapStatus[] = [];
    for (let m = 0; m < numMaps; m++) {
      const s = list[m];
      if (!s) return null;
      out.push(s);
    }
    return out;
  }

  removeJob(job: JobId): void {
    for (const key of [...this.outputs.keys()]) if (key.startsWith(`${job}/`)) this.outputs.delete(key);
  }
}

function splitKey(key: string): [JobId, number] {
  const i = key.lastIndexOf("/");
  return [key.slice(0, i) as JobId, Number(key.slice(i + 1))];
}
