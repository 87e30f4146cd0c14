// Runs dnsperf 2.10 pinned to the load core and reads its summary. dnsperf 2.10 prints average,
// min and max latency but no percentiles, so latency runs use -v (one line per response) and
// the p99 is computed here from those lines.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** The core dnsperf runs on (the server under test gets core 0). */
export const LOAD_CORE = 1;
/** Seconds a run may take beyond its -l limit (the -t 1 timeout of the last queries) before it is killed. */
const HARD_STOP_SLACK_S = 5;

/**
 * Parses dnsperf's "Statistics:" block. Returns { sent, completed, lost, qps, runTime, avgMs,
 * minMs, maxMs, rcodes: { NOERROR: n, ... } }; fields missing from the text are null.
 */
export function parseSummary(text) {
  const num = (re) => {
    const m = re.exec(text);
    return m ? Number(m[1]) : null;
  };
  const lat = /Average Latency \(s\):\s+([\d.]+) \(min ([\d.]+), max ([\d.]+)\)/.exec(text);
  const rcodes = {};
  const rc = /Response codes:\s+(.*)/.exec(text);
  if (rc) for (const m of rc[1].matchAll(/([A-Z]+) (\d+) \(/g)) rcodes[m[1]] = Number(m[2]);
  return {
    sent: num(/Queries sent:\s+(\d+)/),
    completed: num(/Queries completed:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    qps: num(/Queries per second:\s+([\d.]+)/),
    runTime: num(/Run time \(s\):\s+([\d.]+)/),
    avgMs: lat ? Number(lat[1]) * 1000 : null,
    minMs: lat ? Number(lat[2]) * 1000 : null,
    maxMs: lat ? Number(lat[3]) * 1000 : null,
    rcodes,
  };
}

/** The value at quantile `q` (0..1) of the numbers in `values`, nearest-rank; null if empty. */
export function quantile(values, q) {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

/**
 * One dnsperf run. `opts`: { port, file, seconds, tcp, qps (rate limit), source (-a), runs (-n),
 * outstanding (-q, default 100), verbose (collect per-query latency for p99) }.
 * Resolves the parsed summary plus p99Ms when verbose, and the raw text for the log.
 */
export function dnsperf(opts) {
  const argv = ['-c', String(LOAD_CORE), 'dnsperf', '-s', '127.0.0.1', '-p', String(opts.port), '-d', opts.file,
    '-c', '1', '-T', '1', '-q', String(opts.outstanding ?? 100), '-t', '1'];
  // Not `-O suppress=timeout`: dnsperf 2.10 hangs past -l once a suppressed timeout occurs.
  if (opts.seconds) argv.push('-l', String(opts.seconds));
  if (opts.runs) argv.push('-n', String(opts.runs));
  if (opts.qps) argv.push('-Q', String(opts.qps));
  if (opts.tcp) argv.push('-m', 'tcp');
  if (opts.source) argv.push('-a', opts.source);
  if (opts.verbose) argv.push('-v');
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    // Per-response latencies in microseconds (verbose runs only).
    const latencies = opts.verbose ? [] : null;
    let text = '';
    let stderr = '';
    let noise = 0; // per-query timeout and late-answer warnings, counted instead of kept
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (latencies !== null && line.startsWith('> ')) {
        const sp = line.lastIndexOf(' ');
        const v = Number(line.slice(sp + 1));
        if (Number.isFinite(v)) latencies.push(v * 1e6); // "> T name A" marks a timeout: no latency
      } else if (line.startsWith('[Timeout]') || line.startsWith('Warning: received a response')) {
        noise++;
      } else {
        text += line + '\n';
      }
    });
    child.stderr.on('data', (d) => { stderr += d; });
    // dnsperf can outlive its -l limit (seen with -n 1 when a server stops answering): a hard stop.
    const limit = ((opts.seconds ?? 60) + HARD_STOP_SLACK_S) * 1000;
    const watchdog = setTimeout(() => child.kill('SIGKILL'), limit);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(watchdog);
      if (signal === 'SIGKILL') return reject(new Error(`dnsperf did not stop within ${limit / 1000} s (killed)`));
      if (code !== 0) return reject(new Error(`dnsperf exited ${code ?? signal}: ${stderr || text}`));
      const summary = parseSummary(text);
      if (summary.qps === null) return reject(new Error(`dnsperf printed no statistics:\n${text}${stderr}`));
      const p99 = latencies === null ? null : quantile(latencies, 0.99);
      const p999 = latencies === null ? null : quantile(latencies, 0.999);
      const warnings = noise > 0 ? `(${noise} timeout/late-answer warnings left out)\n` : '';
      resolve({ ...summary, p99Ms: p99 === null ? null : p99 / 1000, p999Ms: p999 === null ? null : p999 / 1000, text: `${argv.slice(2).join(' ')}\n${warnings}${text}` });
    });
  });
}

