import { h } from '/vendor/preact.js';
import { useEffect, useRef, useState } from '/vendor/preact-hooks.js';
import htm from '/vendor/htm.js';
import uPlot from '/vendor/uplot.js';
import { api, qs } from '/api.js';

const html = htm.bind(h);
const fmt = (n) => (n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US', { maximumFractionDigits: 1 }));
const pct = (a, b) => (b > 0 ? `${((100 * a) / b).toFixed(1)} %` : '–');
const ago = (s) => (s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : s < 172800 ? `${Math.round(s / 3600)} h` : `${Math.round(s / 86400)} d`);

function usePoll(fn, ms, deps = []) {
  const [state, setState] = useState({ data: null, error: null });
  useEffect(() => {
    let live = true;
    const tick = () => fn().then((data) => live && setState({ data, error: null }), (e) => live && setState((s) => ({ ...s, error: e.message })));
    tick();
    const t = ms ? setInterval(tick, ms) : null;
    return () => { live = false; if (t) clearInterval(t); };
  }, deps);
  return state;
}

/** Answers per second from two counter snapshots, kept for the last 5 minutes (polled every 2 s). */
function Dashboard() {
  const [series, setSeries] = useState({ t: [], qps: [] });
  const [now, setNow] = useState(null);
  const [error, setError] = useState(null);
  const prev = useRef(null);
  const chartEl = useRef(null);
  const chart = useRef(null);
  useEffect(() => {
    let live = true;
    const tick = async () => {
      try {
        const s = await api('/stats');
        if (!live) return;
        setError(null);
        setNow(s);
        if (prev.current) {
          const dt = (s.time - prev.current.time) / 1000;
          const q = dt > 0 ? Math.max(0, (s.answers - prev.current.answers) / dt) : 0;
          setSeries((old) => {
            const t = [...old.t, s.time / 1000].slice(-150);
            const qps = [...old.qps, q].slice(-150);
            return { t, qps };
          });
        }
        prev.current = s;
      } catch (e) { if (live) setError(e.message); }
    };
    tick();
    const t = setInterval(tick, 2000);
    return () => { live = false; clearInterval(t); };
  }, []);
  useEffect(() => {
    if (!chartEl.current) return;
    const width = chartEl.current.clientWidth - 16;
    if (!chart.current) {
      chart.current = new uPlot({ width, height: 220, series: [{}, { label: 'answers/s', stroke: '#2563eb', fill: 'rgba(37,99,235,.12)' }], axes: [{}, { label: 'answers/s' }] }, [series.t, series.qps], chartEl.current);
    } else {
      chart.current.setData([series.t, series.qps]);
    }
  }, [series]);
  const src = now?.bySource ?? {};
  const cache = now?.cache;
  const blocked = (src.blocked ?? 0) + (src.blocklist ?? 0);
  const lastQps = series.qps.length ? series.qps[series.qps.length - 1] : null;
  return html`<h1>Dashboard</h1>
    ${error && html`<p class="error">${error}</p>`}
    <div class="cards">
      <div class="card"><div class="label">Answers per second</div><div class="value" id="qps">${fmt(lastQps)}</div></div>
      <div class="card"><div class="label">Answers since start</div><div class="value" id="answers">${fmt(now?.answers)}</div></div>
      <div class="card"><div class="label">Cache hits</div><div class="value">${cache ? pct(cache.hits + cache.staleServed, cache.hits + cache.staleServed + cache.misses) : '–'}</div></div>
      <div class="card"><div class="label">Blocked</div><div class="value">${pct(blocked, now?.answers ?? 0)}</div></div>
      <div class="card"><div class="label">Cached answers</div><div class="value">${fmt(cache?.entries)}</div></div>
    </div>
    <div class="chart" ref=${chartEl} id="qps-chart"></div>
    <h2>Answer sources</h2>
    <div class="table-wrap"><table><thead><tr><th>source</th><th>answers</th><th>share</th></tr></thead><tbody>
      ${Object.entries(src).sort((a, b) => b[1] - a[1]).map(([k, v]) => html`<tr><td>${k}</td><td>${fmt(v)}</td><td>${pct(v, now.answers)}</td></tr>`)}
    </tbody></table></div>
    <h2>Upstreams</h2>
    ${(now?.upstreams ?? []).length === 0 ? html`<p class="muted">No upstreams configured.</p>` : html`<div class="table-wrap"><table>
      <thead><tr><th>upstream</th><th>healthy</th><th>queries</th><th>failures</th><th>timeouts</th><th>smoothed RTT</th></tr></thead>
      <tbody>${now.upstreams.map((u) => html`<tr><td>${u.name}</td><td>${u.healthy ? 'yes' : 'no'}</td><td>${fmt(u.queries)}</td><td>${fmt(u.failures)}</td><td>${fmt(u.timeouts)}</td><td>${fmt(u.srttMs)} ms</td></tr>`)}</tbody>
    </table></div>`}`;
}

function Records({ zone, who, onBack }) {
  const [version, setVersion] = useState(0);
  const [msg, setMsg] = useState(null);
  const [form, setForm] = useState({ name: '', type: 'A', ttl: 300, data: '' });
  const { data, error } = usePoll(() => api(`/zones/${encodeURIComponent(zone.name)}/records`), 0, [zone.name, version]);
  const set = (k) => (e) => setForm({ ...form, [k]: e.target.value });
  const add = async (e) => {
    e.preventDefault();
    try {
      const r = await api(`/zones/${encodeURIComponent(zone.name)}/records`, { method: 'POST', body: { ...form, ttl: Number(form.ttl) } });
      setMsg({ ok: true, text: `Added; serial ${r.serial}.` });
      setVersion(version + 1);
    } catch (err) { setMsg({ ok: false, text: err.message }); }
  };
  const del = async (r) => {
    try {
      const res = await api(`/zones/${encodeURIComponent(zone.name)}/records`, { method: 'DELETE', body: { name: r.name, type: r.type, data: r.data } });
      setMsg({ ok: true, text: `Deleted; serial ${res.serial}.` });
      setVersion(version + 1);
    } catch (err) { setMsg({ ok: false, text: err.message }); }
  };
  return html`<p><button class="secondary" onClick=${onBack}>← Zones</button></p>
    <h1>${zone.name}</h1>
    ${zone.updates && who.scope === 'write' && html`<form class="row" onSubmit=${add} id="add-record">
      <label>Name <input name="name" value=${form.name} onInput=${set('name')} placeholder=${'host.' + zone.name} required /></label>
      <label>Type <select name="type" value=${form.type} onChange=${set('type')}>${['A', 'AAAA', 'CNAME', 'TXT', 'PTR', 'MX', 'SRV'].map((t) => html`<option>${t}</option>`)}</select></label>
      <label>TTL <input name="ttl" type="number" min="0" value=${form.ttl} onInput=${set('ttl')} /></label>
      <label>Data <input name="data" value=${form.data} onInput=${set('data')} placeholder="192.0.2.10" required /></label>
      <button type="submit">Add record</button>
    </form>`}
    ${msg && html`<p class=${msg.ok ? 'ok' : 'error'} role="status">${msg.text}</p>`}
    ${error && html`<p class="error">${error}</p>`}
    <div class="table-wrap"><table id="records"><thead><tr><th>name</th><th>type</th><th>TTL</th><th>data</th><th></th></tr></thead><tbody>
      ${(data ?? []).map((r) => html`<tr><td>${r.name}</td><td>${r.type}</td><td>${r.ttl}</td><td>${r.data}</td>
        <td>${r.dynamic ? html`<span class="tag">dynamic</span> ${zone.updates && who.scope === 'write' ? html`<button class="danger" onClick=${() => del(r)}>Delete</button>` : ''}` : ''}</td></tr>`)}
    </tbody></table></div>`;
}

function Zones({ who }) {
  const [open, setOpen] = useState(null);
  const { data, error } = usePoll(() => api('/zones'), 10000, [open]);
  if (open) return html`<${Records} zone=${open} who=${who} onBack=${() => setOpen(null)} />`;
  return html`<h1>Zones</h1>
    ${error && html`<p class="error">${error}</p>`}
    <div class="table-wrap"><table id="zones"><thead><tr><th>zone</th><th>view</th><th>type</th><th>serial</th><th>records (static + dynamic)</th><th>updates</th><th>transfers</th></tr></thead><tbody>
      ${(data ?? []).map((z) => html`<tr>
        <td><a href="#/zones" onClick=${(e) => { e.preventDefault(); setOpen(z); }}>${z.name}</a></td><td>${z.view ?? 'all'}</td>
        <td>${z.type}${z.available === false ? ' (expired)' : ''}</td><td>${z.serial}</td>
        <td>${z.records} (${z.staticRecords} + ${z.dynamicRecords})</td><td>${z.updates ? 'yes' : 'no'}</td><td>${z.allowTransfer ? 'allowed' : 'no'}</td></tr>`)}
    </tbody></table></div>`;
}

function Leases() {
  const { data, error } = usePoll(() => api('/leases'), 10000);
  return html`<h1>Leases</h1>
    <p class="muted">Names Kea DHCP-DDNS registered (marked by their DHCID record), newest first.</p>
    ${error && html`<p class="error">${error}</p>`}
    ${data && data.length === 0 && html`<p class="muted">No names registered yet.</p>`}
    <div class="table-wrap"><table id="leases"><thead><tr><th>name</th><th>addresses</th><th>PTR</th><th>age</th><th>scavenged</th></tr></thead><tbody>
      ${(data ?? []).map((l) => html`<tr><td>${l.name}</td><td>${l.addresses.join(', ')}</td>
        <td>${Object.entries(l.ptr).map(([a, n]) => `${a} → ${n.join(', ')}`).join('; ') || html`<span class="muted">none</span>`}</td>
        <td>${ago(l.ageSeconds)}</td><td>${l.expiresAt === null ? html`<span class="muted">never</span>` : l.stale ? html`<span class="error">stale</span>` : new Date(l.expiresAt).toLocaleString()}</td></tr>`)}
    </tbody></table></div>`;
}

function Cache({ who }) {
  const [name, setName] = useState('');
  const [result, setResult] = useState(null);
  const [msg, setMsg] = useState(null);
  const look = async (e) => {
    e.preventDefault();
    try { setResult(await api(`/cache${qs({ name })}`)); setMsg(null); } catch (err) { setMsg({ ok: false, text: err.message }); }
  };
  const flush = async (all) => {
    try {
      const r = await api(`/cache${all ? '' : qs({ name })}`, { method: 'DELETE' });
      setMsg({ ok: true, text: `Flushed ${r.flushed} answer(s).` });
      setResult(null);
    } catch (err) { setMsg({ ok: false, text: err.message }); }
  };
  return html`<h1>Cache</h1>
    <form class="row" onSubmit=${look} id="cache-lookup">
      <label>Name <input name="name" value=${name} onInput=${(e) => setName(e.target.value)} placeholder="example.com" required /></label>
      <button type="submit">Look up</button>
      ${who.scope === 'write' && html`<button type="button" class="secondary" onClick=${() => flush(false)} disabled=${!name}>Flush name</button>
        <button type="button" class="danger" onClick=${() => flush(true)}>Flush everything</button>`}
    </form>
    ${msg && html`<p class=${msg.ok ? 'ok' : 'error'} role="status">${msg.text}</p>`}
    ${result && (result.entries.length === 0 ? html`<p class="muted">Nothing cached for ${result.name}.</p>` : html`<div class="table-wrap"><table id="cache-entries">
      <thead><tr><th>type</th><th>rcode</th><th>TTL left</th><th>state</th><th>bytes</th></tr></thead>
      <tbody>${result.entries.map((e) => html`<tr><td>${e.type}${e.dnssecOk ? ' (DO)' : ''}</td><td>${e.rcode}</td><td>${e.ttlRemaining} s</td><td>${e.stale ? (e.servableStale ? 'stale, served' : 'expired') : 'fresh'}</td><td>${e.bytes}</td></tr>`)}</tbody>
    </table></div>`)}`;
}

export const PAGES = [
  { id: 'dashboard', title: 'Dashboard', component: Dashboard },
  { id: 'zones', title: 'Zones', component: Zones },
  { id: 'leases', title: 'Leases', component: Leases },
  { id: 'cache', title: 'Cache', component: Cache },
];
