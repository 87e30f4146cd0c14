// Summarises the .cpuprofile files `node --cpu-prof` wrote: where the samples landed, by
// function (self and total time) and by file, so the README can name the hot spots.
//   node bench/lib/profile.mjs <dir with .cpuprofile files> [repo root]
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const IDLE = '(idle)';

/**
 * Self and total samples per function over the profiles. A function's total counts each sample
 * once even when it is on the stack more than once (recursion).
 */
export function tally(profiles, keyOf) {
  const self = new Map();
  const total = new Map();
  let samples = 0;
  let idle = 0;
  for (const p of profiles) {
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    for (const n of p.nodes) {
      const hits = n.hitCount ?? 0;
      if (hits === 0) continue;
      const key = keyOf(n.callFrame);
      if (n.callFrame.functionName === IDLE) {
        idle += hits;
        continue;
      }
      samples += hits;
      self.set(key, (self.get(key) ?? 0) + hits);
      const seen = new Set();
      for (let id = n.id; id !== undefined; id = parent.get(id)) {
        const k = keyOf(byId.get(id).callFrame);
        if (seen.has(k)) continue;
        seen.add(k);
        total.set(k, (total.get(k) ?? 0) + hits);
      }
    }
  }
  const rows = [...total].map(([key, t]) => ({ key, self: self.get(key) ?? 0, total: t }));
  return { samples, idle, rows };
}

/** Text tables of the hottest functions and files in the profiles under `dir`. */
export function profileSummary(dir, root, top = 25) {
  let names;
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  } catch {
    names = [];
  }
  if (names.length === 0) return `no profile in ${dir} (did the daemon exit cleanly?)\n`;
  const profiles = names.map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
  const where = (cf) => (cf.url.startsWith('file://') ? relative(root, new URL(cf.url).pathname) : cf.url || '(native)');
  const fn = (cf) => {
    const url = where(cf);
    return `${cf.functionName || '(anonymous)'}  ${url}${url.startsWith('(') ? '' : `:${cf.lineNumber + 1}`}`;
  };
  const byFn = tally(profiles, fn);
  const byFile = tally(profiles, where);
  const pct = (n) => `${((100 * n) / byFn.samples).toFixed(1).padStart(5)}%`;
  const lines = [
    `CPU profile: ${names.length} file(s) in ${dir}; ${byFn.samples} busy samples (+${byFn.idle} idle). Percentages are of busy samples.`,
    '', '  self  total  function (self time)',
  ];
  for (const r of [...byFn.rows].sort((a, b) => b.self - a.self).slice(0, top)) lines.push(`${pct(r.self)} ${pct(r.total)}  ${r.key}`);
  lines.push('', '  self  total  project function (total time: itself and what it calls)');
  const ours = byFn.rows.filter((r) => /^\S+ {2}(dist|src)\//.test(r.key) || r.key.includes('  dist/'));
  for (const r of ours.sort((a, b) => b.total - a.total).slice(0, top)) lines.push(`${pct(r.self)} ${pct(r.total)}  ${r.key}`);
  lines.push('', '  self  file');
  for (const r of [...byFile.rows].sort((a, b) => b.self - a.self).slice(0, 12)) lines.push(`${pct(r.self)}  ${r.key}`);
  return lines.join('\n') + '\n';
}

if (process.argv[1]?.endsWith('profile.mjs')) process.stdout.write(profileSummary(process.argv[2] ?? '.', process.argv[3] ?? process.cwd()));
