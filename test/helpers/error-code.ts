// What a MinisparkError a call throws says, as "<code>: <message>", for tests that match both.
import assert from "node:assert/strict";
import { MinisparkError } from "../../src/common/errors.js";

export function errorCode(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof MinisparkError, String(e));
    return `${e.code}: ${e.message}`;
  }
  assert.fail("it did not throw");
}
