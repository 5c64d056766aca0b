// A small Parquet file as DuckDB 1.5 writes it, for tests that need one without
// DuckDB: two rows of (id INTEGER, name VARCHAR, score DECIMAL(3,1)), the second
// score null, uncompressed, one row group; column "id"'s one data page starts at
// byte 4 (the tests that corrupt it rely on that layout).

/** The file's bytes, base64. */
export const SAMPLE_PARQUET_BASE64 =
  "UEFSMRUAFRwVHCwVBBUAFQYVBgAAAgAAAAQBAQAAAAIAAAAVABUoFSgsFQQVABUGFQYAAAIAAAAEAQMAAABhbm4DAAAAYm9iFQAVUhVSLBUEFQAVBhUGAAAhAAAAQQEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAMQEAABUCGUw1ABgNZHVja2RiX3NjaGVtYRUGABUCJQIYAmlkJSIAFQwlAhgEbmFtZSUAABUCJQIYBXNjb3JlJQoVAhUGLFwVAhUGAAAAFgQZHBk8JgAcFQIZFQAZGAJpZBUAFgQWPhY+Jgg8GAQCAAAAGAQBAAAAFgAoBAIAAAAYBAEAAAAREQAAACYAHBUMGRUAGRgEbmFtZRUAFgQWShZKJkY8GANib2IYA2FubhYAKANib2IYA2FubhERAAAAJgAcFQIZFQAZGAVzY29yZRUAFgQWdBZ0JpABPBgEMQEAABgEMQEAABYCKAQxAQAAGAQxAQAAEREAAAAW/AEWBCYIFvwBACgoRHVja0RCIHZlcnNpb24gdjEuNS42IChidWlsZCAwNjljYzlmOWI1KRk8HAAAHAAAHAAAADgBAABQQVIx";

/** The rows the file holds, as the parquet source gives them. */
export const SAMPLE_PARQUET_ROWS = [
  { id: 1, name: "ann", score: "30.5" },
  { id: 2, name: "bob", score: null },
];
