// The frame of a shuffle block response — a sequence of [u32 mapId][f64 length]
// [bytes] entries, one per requested map output, in the order asked for — read
// without trusting the peer that sent it: every length must be a whole number
// that fits in the bytes actually left, every map id the one asked for next,
// and there are exactly as many entries as maps requested. Anything else is a
// failed fetch (the map output is re-made), never a loop or an out-of-range
// view. Pure; used by block-service.ts on the worker's main thread.

export const ENTRY_HEADER = 12;
/**
 * Map outputs fetched in one request at most: their ids go into the request's
 * query, and more than a few thousand would pass the peer's header size limit.
 */
export const MAX_BLOCKS_PER_FETCH = 512;

export interface BlockEntry {
  mapId: number;
  offset: number;
  length: number;
}

export type ParsedBlocks = { ok: true; entries: BlockEntry[] } | { ok: false; mapId: number; message: string };

export function parseBlockResponse(body: Uint8Array, mapIds: readonly number[]): ParsedBlocks {
  const view = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const entries: BlockEntry[] = [];
  let off = 0;
  for (const expected of mapIds) {
    const fail = (message: string): ParsedBlocks => ({ ok: false, mapId: expected, message: `malformed block response: ${message}` });
    if (view.length - off < ENTRY_HEADER) return fail(`the entry of map ${expected} is missing (${view.length - off} bytes left at byte ${off})`);
    const mapId = view.readUInt32LE(off);
    const length = view.readDoubleLE(off + 4);
    if (mapId !== expected) return fail(`entry ${entries.length} is for map ${mapId}, map ${expected} was asked for`);
    const left = view.length - off - ENTRY_HEADER;
    if (!Number.isSafeInteger(length) || length < 0 || length > left) return fail(`map ${mapId}'s length ${length} is not a whole number of at most the ${left} bytes left`);
    entries.push({ mapId, offset: off + ENTRY_HEADER, length });
    off += ENTRY_HEADER + length;
  }
  if (off !== view.length) return { ok: false, mapId: mapIds[mapIds.length - 1] ?? 0, message: `malformed block response: ${view.length - off} bytes past the last entry` };
  return { ok: true, entries };
}

/** The map a failed response names (x-missing-map), if it is one of those asked for; else the first. */
export function missingMap(header: unknown, mapIds: readonly number[]): number {
  const n = typeof header === "string" && /^\d{1,10}$/.test(header) ? Number(header) : NaN;
  return mapIds.includes(n) ? n : mapIds[0]!;
}
