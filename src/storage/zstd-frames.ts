// Owns following the frame structure of a zstd stream (RFC 8878) over its
// compressed bytes, without decompressing them, to tell at the end of the file
// whether its last frame is whole. Node 22's zstd (22.15 on) does not report a
// stream cut short: its decompressor, and zstdDecompressSync itself, just stop,
// so a truncated .zst would read as a silently shorter file. Node 24 reports
// it; this check makes every Node agree. Block contents are skipped by their
// sizes, so following costs a few operations per block. Bytes it does not
// understand (a bad magic number, a reserved block type) are left to the
// decompressor, which refuses them with its own message. Pure; used by
// decompressed-input.ts.

const ZSTD_MAGIC = 0xfd2fb528;
/** Skippable frames have magic numbers 0x184D2A50 to 0x184D2A5F. */
const SKIPPABLE_MAGIC = 0x184d2a50;
const DICT_ID_BYTES = [0, 1, 2, 4];
const CONTENT_SIZE_BYTES = [0, 2, 4, 8];

type Step = "magic" | "descriptor" | "frameHeader" | "blockHeader" | "skippableSize";

export class ZstdFrameTracker {
  private step: Step = "magic";
  /** Bytes of the structure being read, until `want` of them are here. */
  private header: number[] = [];
  private want = 4;
  /** Bytes to pass over (a block's content, a checksum, a skippable frame), then `after`. */
  private skip = 0;
  private after: "blockHeader" | "checksum" | "magic" = "magic";
  private checksum = false;
  private lost = false;

  feed(buf: Uint8Array, start: number, end: number): void {
    let i = start;
    while (i < end && !this.lost) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, end - i);
        this.skip -= n;
        i += n;
        if (this.skip === 0) this.skipped();
        continue;
      }
      this.header.push(buf[i++]!);
      if (this.header.length === this.want) this.parse();
    }
  }

  /** Whether the bytes fed so far end exactly at the end of a frame (or are none, or are not understood). */
  atFrameEnd(): boolean {
    return this.lost || (this.step === "magic" && this.header.length === 0 && this.skip === 0);
  }

  private expect(step: Step, bytes: number): void {
    this.step = step;
    this.want = bytes;
    this.header = [];
  }

  private pass(bytes: number, after: "blockHeader" | "checksum" | "magic"): void {
    this.expect("magic", 4);
    this.skip = bytes;
    this.after = after;
    if (bytes === 0) this.skipped();
  }

  private skipped(): void {
    if (this.after === "blockHeader") this.expect("blockHeader", 3);
    else if (this.after === "checksum") this.pass(4, "magic");
    else this.expect("magic", 4);
  }

  private parse(): void {
    const h = this.header;
    switch (this.step) {
      case "magic": {
        const magic = (h[0]! | (h[1]! << 8) | (h[2]! << 16) | (h[3]! << 24)) >>> 0;
        if (magic === ZSTD_MAGIC) this.expect("descriptor", 1);
        else if ((magic & 0xfffffff0) >>> 0 === SKIPPABLE_MAGIC) this.expect("skippableSize", 4);
        else this.lost = true;
        return;
      }
      case "descriptor": {
        const d = h[0]!;
        const single = (d >> 5) & 1;
        const contentSizeFlag = d >> 6;
        this.checksum = ((d >> 2) & 1) === 1;
        const size = (single ? 0 : 1) + DICT_ID_BYTES[d & 3]! + (contentSizeFlag === 0 ? single : CONTENT_SIZE_BYTES[contentSizeFlag]!);
        if (size === 0) this.expect("blockHeader", 3);
        else this.expect("frameHeader", size);
        return;
      }
      case "frameHeader":
        this.expect("blockHeader", 3);
        return;
      case "blockHeader": {
        const bits = h[0]! | (h[1]! << 8) | (h[2]! << 16);
        const last = (bits & 1) === 1;
        const type = (bits >> 1) & 3;
        if (type === 3) {
          this.lost = true;
          return;
        }
        // An RLE block holds one byte, repeated Block_Size times when decompressed.
        this.pass(type === 1 ? 1 : bits >>> 3, last ? (this.checksum ? "checksum" : "magic") : "blockHeader");
        return;
      }
      case "skippableSize":
        this.pass((h[0]! | (h[1]! << 8) | (h[2]! << 16) | (h[3]! << 24)) >>> 0, "magic");
        return;
    }
  }
}
