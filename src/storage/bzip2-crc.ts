// bzip2's CRC-32: the polynomial of IEEE 802.3 fed most significant bit first
// (zlib's crc32 is the reflected form, so it cannot be used). Shared by the
// bzip2 reader and writer, which check and write it per block.

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** A block's CRC before any byte. */
export const CRC_START = 0xffffffff;

/** `crc` after byte `b` (kept as a 32-bit integer; finish with `~crc >>> 0`). */
export function crcByte(crc: number, b: number): number {
  return (crc << 8) ^ TABLE[((crc >>> 24) ^ b) & 0xff]!;
}
