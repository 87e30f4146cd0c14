// Draws bench/results.svg from bench/results.json (the latest run): throughput per scenario and
// target, and latency at the fixed load. Plain SVG text, no dependencies.
//   node bench/chart.mjs [results.json] [results.svg]
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { aggregate } from './lib/report.mjs';
import { SCENARIOS, LATENCY_QPS } from './lib/session.mjs';

const PALETTE = ['#9e9e9e', '#d62728', '#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22'];
const BAR = 14;
const GAP = 10;
const LEFT = 250;
const WIDTH = 900;
const PLOT = WIDTH - LEFT - 210; // room for the value text after the longest bar

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** One block of horizontal bars: rows of { label, value, color, text }; returns [svg, height]. */
function block(title, rows, y0, max) {
  const parts = [`<text x="10" y="${y0 + 14}" font-weight="bold">${esc(title)}</text>`];
  let y = y0 + 22;
  for (const r of rows) {
    const w = r.value == null || max === 0 ? 0 : Math.max(1, (r.value / max) * PLOT);
    parts.push(`<text x="${LEFT - 6}" y="${y + BAR - 3}" text-anchor="end">${esc(r.label)}</text>`);
    if (w > 0) parts.push(`<rect x="${LEFT}" y="${y}" width="${w.toFixed(1)}" height="${BAR}" fill="${r.color}"/>`);
    parts.push(`<text x="${(LEFT + w + 4).toFixed(1)}" y="${y + BAR - 3}">${esc(r.text)}</text>`);
    y += BAR + 3;
  }
  return [parts.join('\n'), y - y0 + GAP];
}

/** The SVG text for a results object (as written to results.json). */
export function chart(results) {
  const agg = aggregate(results);
  const color = (name) => PALETTE[results.targets.indexOf(name) % PALETTE.length];
  const label = (name) => results.labels[name] ?? name;
  const blocks = [];
  let y = 40;
  for (const sc of SCENARIOS) {
    const rows = results.targets.filter((n) => agg[n]?.[sc.id]).map((n) => {
      const r = agg[n][sc.id];
      const cpu = r.cpuUs == null ? '' : ` · ${r.cpuUs.toFixed(1)} µs CPU/answer`;
      return { label: label(n), value: r.qps, color: color(n), text: r.qps == null ? `not measured: ${r.error}`.slice(0, 90) : `${(r.qps / 1000).toFixed(1)}k QPS${cpu}` };
    });
    if (rows.length === 0) continue;
    const max = Math.max(0, ...rows.map((r) => r.value ?? 0));
    const [svg, h] = block(`${sc.title}: queries per second (median)`, rows, y, max);
    blocks.push(svg);
    y += h;
  }
  for (const sc of SCENARIOS.filter((s) => s.latency)) {
    const rows = [];
    for (const n of results.targets) {
      const r = agg[n]?.[sc.id];
      if (r?.avgMs == null) continue;
      rows.push({ label: `${label(n)} avg`, value: r.avgMs, color: color(n), text: `${r.avgMs.toFixed(3)} ms` });
      rows.push({ label: 'p99', value: r.p99Ms, color: color(n), text: `${r.p99Ms?.toFixed(3) ?? '–'} ms` });
    }
    if (rows.length === 0) continue;
    const [svg, h] = block(`${sc.title}: latency at ${LATENCY_QPS / 1000}k QPS (lower is better)`, rows, y, Math.max(...rows.map((r) => r.value ?? 0)));
    blocks.push(svg);
    y += h;
  }
  const head = `<text x="10" y="20" font-size="15" font-weight="bold">${esc(`horizond end-to-end benchmark, ${results.date} (${results.mode}, median of ${results.rounds})`)}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y + 10}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
${head}
${blocks.join('\n')}
</svg>
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const here = (f) => fileURLToPath(new URL(f, import.meta.url));
  const input = process.argv[2] ?? here('results.json');
  const output = process.argv[3] ?? here('results.svg');
  writeFileSync(output, chart(JSON.parse(readFileSync(input, 'utf8'))));
  console.log(`wrote ${output}`);
}
