// The error a command line earns: main.ts prints its bare message and exits 2,
// where any other error is printed as "error: …" and exits 1. Thrown by the
// parsers and the commands alike.
export class UsageError extends Error {}
