// Lines on a terminal of a known width: how many columns a string takes, a
// line clipped with an ellipsis to fit, how many screen lines a text line
// takes once the terminal wraps it, and the escape sequence that replaces a
// block of lines drawn before. Pure; called by format.ts's ProgressPrinter.

/** Code points a terminal draws two columns wide: CJK, Hangul, fullwidth forms, most emoji. */
function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

/** Combining marks, zero-width characters and controls take no column. */
function isZeroWidth(cp: number): boolean {
  return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0xfe00 && cp <= 0xfe0f);
}

function charWidth(ch: string): number {
  const cp = ch.codePointAt(0)!;
  return isZeroWidth(cp) ? 0 : isWide(cp) ? 2 : 1;
}

export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += charWidth(ch);
  return w;
}

/** `line` in at most `max` columns, ending in "…" when cut. */
export function clip(line: string, max: number): string {
  if (displayWidth(line) <= max) return line;
  let out = "";
  let w = 0;
  for (const ch of line) {
    const cw = charWidth(ch);
    if (w + cw > max - 1) break;
    out += ch;
    w += cw;
  }
  return out + "…";
}

/** Screen lines `line` takes on a terminal `columns` wide (an empty line takes one). */
export function screenLines(line: string, columns: number): number {
  return Math.max(1, Math.ceil(displayWidth(line) / columns));
}

/**
 * What to write to replace the `previous` screen lines drawn last (the cursor
 * at the start of the line below them) with `lines`, each clipped to the
 * width: up over the old block, clear to the end of the screen, the new block.
 * A line is clipped one column short of the width because some terminals wrap
 * as soon as the last column is written, which would add a line not counted.
 */
export function redraw(previous: number, lines: string[], columns: number): { text: string; screenLines: number } {
  const fitted = lines.map((l) => clip(l, Math.max(1, columns - 1)));
  const erase = previous > 0 ? `\x1b[${previous}A\r\x1b[J` : "";
  return { text: `${erase}${fitted.join("\n")}\n`, screenLines: fitted.reduce((n, l) => n + screenLines(l, columns), 0) };
}
