/**
 * One log entry shape for every part of the project: `{time, level, msg | event, ...fields}`, one JSON object per
 * line. The operator's log (operator/log.ts) and the CLI say what happened in words (`msg`); the watcher names a
 * stable `event` (`decision`, `exit_found`, …) that a program can follow.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export interface LogEntry {
  readonly time: string;
  readonly level: LogLevel;
  readonly msg?: string;
  readonly event?: string;
  readonly [field: string]: unknown;
}

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

/** An entry stamped now. */
export function logEntry(level: LogLevel, fields: Record<string, unknown>): LogEntry {
  return { time: new Date().toISOString(), level, ...fields };
}

/** The entry as one JSON line (bigints as decimal strings, errors as name and message). */
export function logLine(entry: LogEntry): string {
  return `${JSON.stringify(entry, jsonSafe)}\n`;
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}
