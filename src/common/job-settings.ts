// A job's settings that come from outside the job (`minispark submit --conf`,
// the defaults file): the JobSpec's top-level fields a user may default, and
// MINISPARK_CONF, the variable that carries them from `minispark submit` to the
// program it runs, read by connect() (client/context.ts). Shared by the CLI and
// the library, which must not import each other.

/** The JobSpec fields (DESIGN.md section 3) settable by --conf; a job's own value wins. */
export interface JobSettings {
  /** The job's name, shown by `minispark jobs` and the UI (a Context's default appName). */
  name?: string;
  /** Partitions of a wide op that names none. */
  parallelism?: number;
  /** Attempts a task may fail before the job fails (3 means one try and two retries). */
  maxTaskRetries?: number;
  /** How long one task attempt may run before it is failed, in milliseconds. */
  taskTimeoutMs?: number;
}

export const JOB_SETTINGS_ENV = "MINISPARK_CONF";

const NUMERIC = ["parallelism", "maxTaskRetries", "taskTimeoutMs"] as const;

/** The settings in MINISPARK_CONF (JSON), none if it is unset. */
export function jobSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): JobSettings {
  const text = env[JOB_SETTINGS_ENV];
  if (!text) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${JOB_SETTINGS_ENV} is not JSON: ${(e as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error(`${JOB_SETTINGS_ENV} must be a JSON object`);
  const out: JobSettings = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key === "name" && typeof value === "string") out.name = value;
    else if ((NUMERIC as readonly string[]).includes(key) && Number.isInteger(value) && (value as number) > 0) out[key as (typeof NUMERIC)[number]] = value as number;
    else throw new Error(`${JOB_SETTINGS_ENV}: "${key}" is not a job setting or has a wrong value (${JSON.stringify(value)})`);
  }
  return out;
}
