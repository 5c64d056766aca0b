// The environment variable that stands in for a server flag: MINISPARK_ and the
// flag in upper snake case (--max-partitions → MINISPARK_MAX_PARTITIONS). Read by
// the CLI's flag tables (cli/flag-table.ts) and by the container health check,
// which must find a process's port where the CLI would.
export function envName(flag: string): string {
  return `MINISPARK_${flag.toUpperCase().replace(/-/g, "_")}`;
}
