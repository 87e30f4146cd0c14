import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parse } from 'yaml';

const run = promisify(execFile);

export interface DigResult {
  status: string;
  flags: string[];
  answer: string[];
  authority: string[];
  additional: string[];
  raw: string;
  /** EDNS lines (OPT pseudosection), e.g. `EDNS: version: 0, flags: do; udp: 1232`. */
  opt: string[];
}

/**
 * Runs the real `dig` against a server and returns the sections as dig prints them
 * (whitespace-normalised RR lines). `args` are extra dig arguments such as `+tcp`, `+dnssec`.
 */
export async function dig(server: string, port: number, name: string, type = 'A', args: string[] = []): Promise<DigResult> {
  const { stdout } = await run('dig', [`@${server}`, '-p', String(port), name, type, '+tries=1', '+time=3', '+nocookie', ...args], { timeout: 15000 });
  return parseDig(stdout);
}

export function parseDig(out: string): DigResult {
  const r: DigResult = { status: '', flags: [], answer: [], authority: [], additional: [], raw: out, opt: [] };
  const head = /status: (\w+)/.exec(out);
  if (head) r.status = head[1]!;
  const flags = /;; flags: ([^;]*);/.exec(out);
  if (flags) r.flags = flags[1]!.trim().split(/\s+/).filter(Boolean);
  let section: keyof Pick<DigResult, 'answer' | 'authority' | 'additional' | 'opt'> | null = null;
  for (const line of out.split('\n')) {
    if (line.startsWith(';; ANSWER SECTION')) { section = 'answer'; continue; }
    if (line.startsWith(';; AUTHORITY SECTION')) { section = 'authority'; continue; }
    if (line.startsWith(';; ADDITIONAL SECTION')) { section = 'additional'; continue; }
    if (line.startsWith(';; OPT PSEUDOSECTION')) { section = 'opt'; continue; }
    if (line.trim() === '' ) { if (section !== 'opt') section = null; continue; }
    if (section === 'opt') {
      if (line.startsWith(';;')) { section = null; continue; }
      r.opt.push(line.replace(/^;\s*/, ''));
      continue;
    }
    if (section && !line.startsWith(';')) r[section].push(line.trim().replace(/\s+/g, ' '));
  }
  return r;
}

/** Runs `kdig +json` and returns the parsed RFC 8427 object. */
export async function kdigJson(server: string, port: number, name: string, type = 'A', args: string[] = []): Promise<Record<string, unknown>> {
  const { stdout } = await run('kdig', [`@${server}`, '-p', String(port), name, type, '+json', '+timeout=3', '+retry=0', ...args], { timeout: 15000 });
  return parse(stdout) as Record<string, unknown>;
}
