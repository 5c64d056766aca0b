// DELETE /api/v1/apps/{app}/datasets/{datasetId}: releases a persisted
// dataset's blocks. The block tracker forgets them at once (no task is sent to
// them any more) and each worker that held some is told with its next
// heartbeat reply to drop them. Idempotent: a dataset with no blocks answers
// with 0 partitions. Called by master-process.ts's route.
import { MinisparkError } from "../common/errors.js";
import type { AppId } from "../common/ids.js";
import type { UnpersistReply } from "../common/api-types.js";
import { APP_ID_PATTERN } from "../common/ids.js";
import { DATASET_ID_PATTERN, asDatasetId } from "../plan/storage-level.js";
import type { BlockTracker } from "./block-tracker.js";
import type { BlockReleases } from "./block-releases.js";

export function unpersist(blocks: BlockTracker, releases: BlockReleases, app: string, dataset: string): UnpersistReply {
  if (!APP_ID_PATTERN.test(app)) throw new MinisparkError("BAD_REQUEST", `"${app.slice(0, 80)}" is not an application id`);
  if (!DATASET_ID_PATTERN.test(dataset)) throw new MinisparkError("BAD_REQUEST", `"${dataset.slice(0, 80)}" is not a dataset id (ds- and 32 hex digits, as a job's plan shows it)`);
  const application = app as AppId;
  const datasetId = asDatasetId(dataset);
  const { workers, partitions } = blocks.removeDataset(application, datasetId);
  releases.add(workers, { application, datasetId });
  return { application, datasetId, partitions, workers: workers.length };
}
