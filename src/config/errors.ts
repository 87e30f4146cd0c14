import { HzError } from '../errors/index.js';

/**
 * Configuration errors. Every problem found while loading is collected as a `ConfigIssue`
 * pointing at the offending YAML node; loading then throws one `ConfigError` carrying them all.
 */

/** One problem in a configuration file, 1-based position of the offending node. */
export interface ConfigIssue {
  /** The config file as the caller named it (`config/horizond.yaml`). */
  readonly file: string;
  /** 1-based line; 0 when the problem has no position (the file itself cannot be read). */
  readonly line: number;
  /** 1-based column; 0 when `line` is 0. */
  readonly col: number;
  /** Key path of the offending value (`forward.upstreams[0].port`); empty for the document. */
  readonly path: string;
  /** What is wrong, without the value when the value may be secret. */
  readonly message: string;
}

/** `file:line:col: path: message`, leaving out the parts an issue does not have. */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.col}` : issue.file;
  return issue.path === '' ? `${where}: ${issue.message}` : `${where}: ${issue.path}: ${issue.message}`;
}

/** Orders issues by position in the file (stable for issues at the same position). */
export function sortIssues(issues: readonly ConfigIssue[]): ConfigIssue[] {
  return issues
    .map((issue, i) => ({ issue, i }))
    .sort((a, b) => a.issue.line - b.issue.line || a.issue.col - b.issue.col || a.i - b.i)
    .map((x) => x.issue);
}

/**
 * Thrown by `parseConfig` / `loadConfig` when the configuration is invalid. `errors` lists every
 * problem found (sorted by position); `message` is those problems formatted one per line.
 */
export class ConfigError extends HzError {
  override readonly name = 'ConfigError';
  override readonly code = 'HZ_ERR_CONFIG';
  readonly errors: readonly ConfigIssue[];

  constructor(errors: readonly ConfigIssue[]) {
    const sorted = Object.freeze(sortIssues(errors).map((e) => Object.freeze({ ...e })));
    super('HZ_ERR_CONFIG', sorted.map(formatIssue).join('\n'));
    this.errors = sorted;
  }
}
