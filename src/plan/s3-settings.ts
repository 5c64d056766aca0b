// Owns a JobSpec's "s3": a job's own S3 settings (credentials, region,
// endpoint, profile) over the workers' environment and AWS files. They hold
// secrets, so nothing here ever quotes a value: problems name the field. The
// master keeps them in memory for the job's run only; the spec it stores has
// them replaced by a marker (redactedSpecText), which validation refuses with
// the reason, so a job recovered after a master restart fails with that reason
// rather than running with other credentials than it was given.
import type { RawJobSpec, S3JobSettings } from "./job-spec.js";

/** The settings a JobSpec's "s3" may hold. */
export const S3_SETTING_NAMES = ["accessKeyId", "secretAccessKey", "sessionToken", "region", "endpoint", "profile"] as const;
/** Far past any real key, token (AWS session tokens run to about 2 KiB) or URL. */
export const MAX_S3_SETTING_CHARS = 8192;
/** An endpoint's shape: an http(s) origin with an optional base path. */
export const S3_ENDPOINT_PATTERN = /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/;
/** What the stored spec holds in place of the job's S3 settings. */
const REDACTED = "[not stored: S3 settings hold secrets]";

/** The job's S3 settings, or null when the spec has none; problems name fields, never values. */
export function parseS3Settings(raw: unknown, problems: string[]): S3JobSettings | null {
  if (raw === undefined) return null;
  if (raw === REDACTED) {
    problems.push(
      '"s3": the job\'s S3 settings were held only in the memory of the master that accepted it (they hold secrets and are never stored), so it cannot resume after a master restart; submit it again',
    );
    return null;
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    problems.push(`"s3" must be an object of S3 settings (${S3_SETTING_NAMES.join(", ")})`);
    return null;
  }
  const settings: S3JobSettings = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!(S3_SETTING_NAMES as readonly string[]).includes(name)) {
      problems.push(`"s3" has an unknown setting ${JSON.stringify(name.slice(0, 80))}; the settings are ${S3_SETTING_NAMES.join(", ")}`);
      continue;
    }
    if (typeof value !== "string" || value.trim() === "" || value.length > MAX_S3_SETTING_CHARS) {
      problems.push(`"s3"."${name}" must be a non-empty string of at most ${MAX_S3_SETTING_CHARS} characters`);
      continue;
    }
    settings[name as (typeof S3_SETTING_NAMES)[number]] = value;
  }
  if ((settings.accessKeyId === undefined) !== (settings.secretAccessKey === undefined)) problems.push('"s3" must give accessKeyId and secretAccessKey together, or neither');
  if (settings.sessionToken !== undefined && settings.accessKeyId === undefined) problems.push('"s3"."sessionToken" needs accessKeyId and secretAccessKey');
  if (settings.endpoint !== undefined && !S3_ENDPOINT_PATTERN.test(settings.endpoint)) problems.push('"s3"."endpoint" must be an http:// or https:// URL');
  return settings;
}

/** The spec as JSON text to store: its "s3" (if any) replaced by a marker. */
export function redactedSpecText(spec: unknown): string {
  if (typeof spec !== "object" || spec === null || !("s3" in spec)) return JSON.stringify(spec);
  return JSON.stringify({ ...(spec as RawJobSpec), s3: REDACTED });
}
