// Counts the values in a JSON text before it is parsed, so that a server can
// refuse a body whose parse would cost far more than its size: JSON.parse
// turns each 3-byte "{}," into an object of ~50 heap bytes, so a 64 MiB body
// of them is ~21 million objects, gigabytes of heap and tens of seconds of a
// blocked event loop (two such job submissions ended the master out of
// memory). One linear pass over the bytes, no allocation; strings are skipped
// ('"' and '\' are ASCII, never inside a UTF-8 multibyte sequence). Pure;
// used by http-server.ts for routes that set maxJsonValues.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;

/**
 * An upper bound on the values (and object keys' members) in `text`: one per
 * comma, array and object outside strings, plus one. Stops counting past
 * `max` and returns max + 1. Malformed JSON gets some count; the parse fails it.
 */
export function countJsonValues(text: Buffer, max: number): number {
  let n = 1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === COMMA || c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++n > max) return max + 1;
    }
  }
  return n;
}
