// Which worker holds which map output of which shuffle, and how big each of its
// reduce blocks is. Reduce tasks are told where to fetch from; when a worker is
// lost or a fetch fails, its outputs are dropped here and the scheduler re-runs
// exactly the map tasks whose output is gone (lineage).
import type { JobId, WorkerId } from "../common/ids.js";
import type { BlockLocation } from "../plan/task.js";

export interface MapStatus {
  workerId: WorkerId;
  address: string;
  sizes: number[];
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
    const list = this.outputs.get(`${job}/${shuffle}`) ?? [];
    const locs: BlockLocation[] = [];
    for (let m = 0; m < numMaps; m++) {
      const s = list[m];
      if (!s) return null;
      locs.push({ mapId: m, workerId: s.workerId, address: s.address, bytes: s.sizes[reduceId] ?? 0 });
    }
    return locs;
  }

  /** Whether `worker` holds any output a job still registered (running jobs only: ended ones are removed). */
  holdsOutputs(worker: WorkerId): boolean {
    for (const list of this.outputs.values()) if (list.some((s) => s?.workerId === worker)) return true;
    return false;
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

  removeJob(job: JobId): void {
    for (const key of [...this.outputs.keys()]) if (key.startsWith(`${job}/`)) this.outputs.delete(key);
  }
}

function splitKey(key: string): [JobId, number] {
  const i = key.lastIndexOf("/");
  return [key.slice(0, i) as JobId, Number(key.slice(i + 1))];
}
