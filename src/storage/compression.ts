// Owns which compression a file is in, by its extension, as Spark's (Hadoop's)
// codec factory decides it: ".gz" gzip, ".deflate" a zlib stream (what Hadoop's
// DefaultCodec writes: RFC 1950, header and Adler-32 included, not raw
// deflate), ".zst" zstd. No other extension is compressed; ".bz2" is not read
// (see README: no small, well-kept synchronous bzip2 decoder exists), so a
// .bz2 file reads as the bytes it holds, as any unknown extension does.
// Pure; used by the split listing (a compressed file is one split), the line
// reader (which decompresses) and the save action (which compresses).

/** A compression minispark reads and writes. */
export type Compression = "gzip" | "deflate" | "zstd";

const EXTENSIONS: Record<Compression, string> = { gzip: ".gz", deflate: ".deflate", zstd: ".zst" };

/** What `save`'s "compression" accepts: a codec, or "none" (the default). */
export const SAVE_COMPRESSIONS = ["none", "gzip", "deflate", "zstd"] as const;

/** The compression a file's name says it is in, or null for a plain file. */
export function compressionOf(path: string): Compression | null {
  for (const [codec, ext] of Object.entries(EXTENSIONS) as [Compression, string][]) {
    if (path.endsWith(ext)) return codec;
  }
  return null;
}

/** The extension a part file written with `codec` gets ("" for none). */
export function extensionOf(codec: Compression | null): string {
  return codec === null ? "" : EXTENSIONS[codec];
}

/** The extensions part files may carry, for recognising them in an output directory. */
export const PART_EXTENSIONS: readonly string[] = Object.values(EXTENSIONS);
