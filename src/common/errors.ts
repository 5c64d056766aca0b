// Every coded error that crosses a process boundary, in one registry, so that the
// HTTP status and the machine-readable code of a failure are decided in one place.
// Thrown inside request handlers, turned into {"error":{"code","message"}} by the
// HTTP server shell.

export const ErrorCodes = {
  BAD_REQUEST: 400,
  INVALID_JOB_SPEC: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PROTOCOL_MISMATCH: 409,
  NOT_READY: 409,
  CONFLICT: 409,
  OUTPUT_EXISTS: 409,
  GONE: 410,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  MISDIRECTED: 421,
  BUSY: 503,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export class MinisparkError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "MinisparkError";
    this.code = code;
  }
  get status(): number {
    return ErrorCodes[this.code];
  }
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
