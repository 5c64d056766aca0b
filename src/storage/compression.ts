// Owns which compression a file is in, by its extension, as Spark's (Hadoop's)
// codec factory decides it: ".gz" gzip, ".deflate" a zlib stream (what Hadoop's
// DefaultCodec writes: RFC 1950, header and Adler-32 included, not raw
// deflate), ".zst" zstd, ".bz2" bzip2. The other codecs Hadoop names by
// extension (".lz4", ".snappy", ".lzo") and ".xz" are not read (see README):
// reading one as text would be binary garbage that a job counts as lines, so
// reading it fails, naming the file.
// Pure; used by the split listing (a compressed file is one split), the line
// reader (which decompresses) and the save action (which compresses).

/** A compression minispark reads and writes. */
export type Compression = "gzip" | "deflate" | "zstd" | "bzip2";

/** The compressions node:zlib runs (sync-codec.ts); bzip2 is minispark's own (bzip2-input.ts). */
export type ZlibCompression = Exclude<Compression, "bzip2">;

const EXTENSIONS: Record<Compression, string> = { gzip: ".gz", deflate: ".deflate", zstd: ".zst", bzip2: ".bz2" };

/** What `save`'s "compression" accepts: a codec, or "none" (the default). */
export const SAVE_COMPRESSIONS = ["none", "gzip", "deflate", "zstd", "bzip2"] as const;

/** The compression a file's name says it is in, or null for a plain file. */
export function compressionOf(path: string): Compression | null {
  for (const [codec, ext] of Object.entries(EXTENSIONS) as [Compression, string][]) {
    if (path.endsWith(ext)) return codec;
  }
  return null;
}

/** Compressions a file's extension can name that minispark does not read. */
const UNREAD: Record<string, string> = { ".lz4": "LZ4", ".snappy": "Snappy", ".lzo": "LZO", ".xz": "xz" };

/** Why a file cannot be read as text: its extension names a compression minispark does not read (null: it can be read). */
export function unreadCompression(path: string): string | null {
  const ext = Object.keys(UNREAD).find((e) => path.endsWith(e));
  return ext === undefined ? null : `input "${path}" is ${UNREAD[ext]}-compressed, which minispark does not read: decompress it, or recompress it as .gz, .zst or .bz2`;
}

/** The extension a part file written with `codec` gets ("" for none). */
export function extensionOf(codec: Compression | null): string {
  return codec === null ? "" : EXTENSIONS[codec];
}

/** The extensions part files may carry, for recognising them in an output directory. */
export const PART_EXTENSIONS: readonly string[] = Object.values(EXTENSIONS);
