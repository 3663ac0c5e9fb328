/**
 * Structured logs: one JSON object per line on stderr, `{time, level, msg, ...fields}` (client/log.ts). The HTTP
 * layer's Logger (an entry with its own `level`) and the chain parts' line loggers both feed the same sink.
 */
import { isLogLevel as isLevel, logEntry, logLine, type LogLevel } from '../client/log.ts';

export interface Log {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** For createApp's `log`: an entry that carries its own level and msg. */
  entry(entry: Record<string, unknown>): void;
  /** For the follower and the committer, which log plain lines; "FATAL …" lines become errors. */
  line(component: string): (line: string) => void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogOptions {
  readonly level?: LogLevel;
  readonly write?: (line: string) => void;
}

export function createLog(options: LogOptions = {}): Log {
  const min = RANK[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const emit = (level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void => {
    if (RANK[level] < min) return;
    write(logLine(logEntry(level, { msg, ...fields })));
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    entry: ({ level, msg, ...fields }) => emit(isLevel(level) ? level : 'info', typeof msg === 'string' ? msg : '', fields),
    line: (component) => (line) => {
      const fatal = line.startsWith('FATAL ');
      emit(fatal ? 'error' : 'info', fatal ? line.slice(6) : line, { component });
    },
  };
}

/** A Log that drops everything (tests). */
export const silentLog: Log = createLog({ write: () => {} });
