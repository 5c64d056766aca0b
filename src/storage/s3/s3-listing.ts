// Owns turning an `s3://` glob into the objects it names: ListObjectsV2 pages
// under the glob's literal prefix, followed by continuation token, filtered by
// its matcher, within a bound on the keys looked at and the objects returned
// (the local listing's bounds, storage/glob.ts), so a glob over a huge bucket
// fails with a clear error rather than listing for hours.
import { MAX_ENTRIES_VISITED, MAX_LISTED_FILES } from "../glob.js";
import { S3LocationError, type S3Glob } from "../../plan/s3-location.js";
import type { S3ObjectInfo, S3Operations } from "./s3-operations.js";

/** Bounds of one listing; the defaults are the local listing's. */
export interface ListingBounds {
  maxKeysVisited: number;
  maxMatches: number;
  /** Keys per page (S3's maximum is 1,000). */
  pageSize: number;
}

const DEFAULT_BOUNDS: ListingBounds = { maxKeysVisited: MAX_ENTRIES_VISITED, maxMatches: MAX_LISTED_FILES, pageSize: 1000 };

/** The objects `glob` matches in key order (UTF-8 binary), and how many pages it took. `url` names the glob in errors. */
export async function listMatching(ops: S3Operations, url: string, glob: S3Glob, bounds: Partial<ListingBounds> = {}): Promise<{ objects: S3ObjectInfo[]; pages: number }> {
  const { maxKeysVisited, maxMatches, pageSize } = { ...DEFAULT_BOUNDS, ...bounds };
  const objects: S3ObjectInfo[] = [];
  let visited = 0;
  let pages = 0;
  let token: string | null = null;
  do {
    const page = await ops.listObjectsPage(glob.bucket, glob.listPrefix, token, pageSize);
    pages++;
    visited += page.objects.length;
    if (visited > maxKeysVisited) throw new S3LocationError(url, `makes the listing look at more than ${maxKeysVisited} keys under "${glob.listPrefix}"; at most ${maxKeysVisited} are allowed`);
    for (const o of page.objects) if (glob.matches(o.key)) objects.push(o);
    if (objects.length > maxMatches) throw new S3LocationError(url, `matches more than ${maxMatches} objects; at most ${maxMatches} are allowed`);
    token = page.nextContinuationToken;
  } while (token !== null);
  return { objects, pages };
}
