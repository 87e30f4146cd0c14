import type { MetricDef, MetricsSink, MetricsSource } from '../observability/metrics.js';

/** The console's counters: plain integers published at scrape time (the API is not a hot path, but one style). */
export class ConsoleCounters {
  /** `route status` → requests. Routes are the registered patterns, never the raw URL. */
  readonly requests = new Map<string, number>();
  authFailures = 0;
  rateLimited = 0;
  /** `token result` → record writes. */
  readonly writes = new Map<string, number>();

  request(route: string, status: number): void {
    const k = `${route} ${status}`;
    this.requests.set(k, (this.requests.get(k) ?? 0) + 1);
  }

  write(token: string, result: 'ok' | 'refused' | 'error'): void {
    const k = `${token} ${result}`;
    this.writes.set(k, (this.writes.get(k) ?? 0) + 1);
  }
}

export const CONSOLE_METRICS: readonly MetricDef[] = [
  { name: 'horizond_console_requests_total', help: 'HTTP requests to the console and API, by route pattern and status code.', type: 'counter', labelNames: ['route', 'status'] },
  { name: 'horizond_console_auth_failures_total', help: 'Console/API requests refused for a missing or wrong token.', type: 'counter', labelNames: [] },
  { name: 'horizond_console_rate_limited_total', help: 'Console/API requests refused with 429 after too many failed sign-ins from one address.', type: 'counter', labelNames: [] },
  { name: 'horizond_console_writes_total', help: 'Record changes made over the API, by token and result (ok, refused, error).', type: 'counter', labelNames: ['token', 'result'] },
];

export function consoleSource(get: () => ConsoleCounters | null): MetricsSource {
  return {
    collect(sink: MetricsSink): void {
      const c = get();
      if (c === null) return;
      for (const [k, n] of c.requests) {
        const i = k.lastIndexOf(' ');
        sink.value('horizond_console_requests_total', { route: k.slice(0, i), status: k.slice(i + 1) }, n);
      }
      sink.value('horizond_console_auth_failures_total', {}, c.authFailures);
      sink.value('horizond_console_rate_limited_total', {}, c.rateLimited);
      for (const [k, n] of c.writes) {
        const i = k.lastIndexOf(' ');
        sink.value('horizond_console_writes_total', { token: k.slice(0, i), result: k.slice(i + 1) }, n);
      }
    },
  };
}
