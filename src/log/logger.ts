/**
 * Structured JSON logs, one object per line. Log ids, counts and timings: never a patient id,
 * name, birth date or any clinical payload (tests run fixtures through and grep for them).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, string | number | boolean | null | undefined | readonly string[]>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * @example
 * const log = createLogger({ level: 'info' });
 * log.info('hook call', { service: 'med-safety', status: 200, ms: 3.2 });
 * // {"time":"2026-11-26T10:00:00.000Z","level":"info","msg":"hook call","service":"med-safety","status":200,"ms":3.2}
 */
export function createLogger({ level = 'info', write = (line: string) => console.log(line) }: { level?: LogLevel; write?: (line: string) => void } = {}): Logger {
  const at = (l: LogLevel) => (msg: string, fields?: LogFields) => {
    if (ORDER[l] < ORDER[level]) return;
    write(JSON.stringify({ time: new Date().toISOString(), level: l, msg, ...fields }));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
