import { pino, type Logger, type DestinationStream, type LevelWithSilent } from 'pino';

export type { Logger };

let stdout: DestinationStream | null = null;

/**
 * The process's one asynchronous stdout stream. The root logger and the query log both write
 * through it, so their JSON lines never interleave mid-line.
 */
export function stdoutDestination(): DestinationStream {
  stdout ??= pino.destination({ fd: 1, sync: false });
  return stdout;
}

/**
 * The root logger: JSON lines to stdout (or a test's stream). Components take a child created
 * once at construction (`log.child({ component: 'zone' })`), never per query.
 */
export function createLogger(level: LevelWithSilent = 'info', destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'horizond' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['secret', '*.secret', 'key.secret'], censor: '[redacted]' },
    },
    destination ?? stdoutDestination(),
  );
}
