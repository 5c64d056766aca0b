// Structured logs: one JSON object per line on stderr, each with its level, time,
// component and the ids it concerns. A person at a terminal can pass
// --log-format=pretty for one readable line per event instead. A sink whose
// stream closes (stderr piped into `head`) goes quiet instead of failing the
// process (stream-sink.ts).
import { guardStream } from "./stream-sink.js";

export type LogLevel = "debug" | "info" | "warn" | "error";
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogSink {
  write(line: string): void;
}

interface LogConfig {
  level: LogLevel;
  pretty: boolean;
  sink: LogSink;
}

const config: LogConfig = { level: "info", pretty: false, sink: guardStream(process.stderr) };

export function configureLogging(c: Partial<LogConfig>): void {
  Object.assign(config, c);
}

export function parseLogLevel(s: string): LogLevel {
  if (s in LEVELS) return s as LogLevel;
  throw new Error(`--log-level must be one of ${Object.keys(LEVELS).join(", ")}, got "${s}"`);
}

export class Logger {
  constructor(private readonly fields: Record<string, unknown>) {}

  child(fields: Record<string, unknown>): Logger {
    return new Logger({ ...this.fields, ...fields });
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.log("debug", msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.log("info", msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.log("warn", msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.log("error", msg, fields);
  }

  private log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
    if (LEVELS[level] < LEVELS[config.level]) return;
    const entry = { level, time: new Date().toISOString(), ...this.fields, msg, ...fields };
    config.sink.write((config.pretty ? pretty(entry) : JSON.stringify(entry)) + "\n");
  }
}

function pretty(e: Record<string, unknown>): string {
  const { level, time, component, msg, ...rest } = e;
  const extra = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  return `${String(time).slice(11, 23)} ${String(level).toUpperCase().padEnd(5)} [${component}] ${msg}${extra ? " " + extra : ""}`;
}

export function logger(component: string): Logger {
  return new Logger({ component });
}
