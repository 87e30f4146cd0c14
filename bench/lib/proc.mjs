// Processes the benchmark starts: pinned to a core with taskset, output to a log file, readiness
// checked with a real DNS query, and stopped again at the end. Only processes started here are
// ever signalled (by their pid, or their own process group for daemons that fork).
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { openSync, closeSync, readFileSync, readdirSync } from 'node:fs';

const started = new Set();

/**
 * Starts `argv` pinned to `core` (taskset execs, so the pid is the daemon's), stdout and stderr
 * appended to `log`. The child leads its own process group so forked helpers go with it.
 */
export function startPinned(core, argv, log, env = process.env) {
  const fd = openSync(log, 'a');
  const child = spawn('taskset', ['-c', String(core), ...argv], { stdio: ['ignore', fd, fd], detached: true, env });
  closeSync(fd);
  const proc = { pid: child.pid, argv, log, child, exited: false, code: null };
  child.on('exit', (code, signal) => { proc.exited = true; proc.code = code ?? signal; });
  started.add(proc);
  return proc;
}

/** SIGTERM, then SIGKILL to the child's process group after `graceMs`. */
export async function stop(proc, graceMs = 3000) {
  if (!started.delete(proc) || proc.exited) return;
  const gone = new Promise((resolve) => proc.child.once('exit', resolve));
  try { process.kill(proc.pid, 'SIGTERM'); } catch { /* already gone */ }
  const timer = new Promise((resolve) => setTimeout(resolve, graceMs, 'timeout'));
  if ((await Promise.race([gone, timer])) === 'timeout') {
    try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* already gone */ }
    await gone;
  }
  // Forked helpers (NSD's server children) exit with their parent; make sure of it.
  try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* group empty */ }
}

/** Stops everything still running (on exit or interrupt). Synchronous for 'exit' handlers. */
export function stopAllNow() {
  for (const proc of started) {
    try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  started.clear();
}

/**
 * Resident set size in MiB (VmRSS) of `pid` and every other process in its process group (a
 * started daemon is its group's leader; with several workers they are all counted, pages they
 * share counted once per process), or null when the process is gone.
 */
export function rssMiB(pid) {
  let kb = 0;
  let found = false;
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) > 57) continue; // not a pid
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) !== pid) continue;
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'));
      if (m) { kb += Number(m[1]); found = true; }
    } catch {
      continue;
    }
  }
  return found ? kb / 1024 : null;
}

function canBind(port, udp) {
  return new Promise((resolve) => {
    if (udp) {
      const s = dgram.createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
    } else {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    }
  });
}

/** A port in 20000..59999 free for both UDP and TCP on 127.0.0.1 right now. */
export async function freePort(taken = new Set()) {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    if (!taken.has(port) && (await canBind(port, true)) && (await canBind(port, false))) {
      taken.add(port);
      return port;
    }
  }
}

/** A minimal query for `name`/A with RD set. */
export function queryPacket(name, id = 0x4242) {
  const labels = name.replace(/\.$/, '').split('.');
  const parts = [Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0])];
  for (const l of labels) parts.push(Buffer.from([l.length]), Buffer.from(l, 'ascii'));
  parts.push(Buffer.from([0, 0, 1, 0, 1]));
  return Buffer.concat(parts);
}

/** One UDP query; resolves { rcode, answers } or null after `timeoutMs`. */
export function ask(port, name, { timeoutMs = 500, source = '127.0.0.1' } = {}) {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const done = (v) => { clearTimeout(t); s.close(); resolve(v); };
    const t = setTimeout(done, timeoutMs, null);
    s.on('error', () => done(null));
    s.on('message', (m) => done(m.length >= 12 ? { rcode: m[3] & 15, answers: m.readUInt16BE(6), reply: m } : null));
    s.bind(0, source, () => s.send(queryPacket(name), port, '127.0.0.1'));
  });
}

/** Waits until the server on `port` answers `name` (any rcode), or throws after `timeoutMs`. */
export async function waitReady(proc, port, name, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exited) throw new Error(`${proc.argv[0]} exited (${proc.code}); see ${proc.log}`);
    const r = await ask(port, name, { timeoutMs: 300 });
    if (r !== null) return r;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${proc.argv[0]} did not answer on port ${port} within ${timeoutMs} ms; see ${proc.log}`);
}

/** The address in the first A record of the answer section of `reply`, or null. */
export function firstA(reply) {
  const skipName = (i) => {
    while (i < reply.length) {
      const len = reply[i];
      if (len === 0) return i + 1;
      if (len >= 0xc0) return i + 2;
      i += len + 1;
    }
    return reply.length;
  };
  let i = skipName(12) + 4;
  for (let n = reply.readUInt16BE(6); n > 0 && i < reply.length; n--) {
    i = skipName(i);
    if (i + 10 > reply.length) return null;
    const type = reply.readUInt16BE(i);
    const rdlen = reply.readUInt16BE(i + 8);
    if (type === 1 && rdlen === 4 && i + 14 <= reply.length) return [...reply.subarray(i + 10, i + 14)].join('.');
    i += 10 + rdlen;
  }
  return null;
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on Linux). */
const USER_HZ = 100;

/**
 * CPU seconds (user + system, including reaped children) used so far by every process in the
 * process group `pgid` (a started daemon and whatever it forked), or null when none is left.
 * Unlike queries per second, this barely moves when other jobs share the core.
 */
export function groupCpuSeconds(pgid) {
  const t = groupCpuTimes(pgid);
  return t === null ? null : t.user + t.system;
}

/**
 * User and kernel CPU seconds of every process in the group (threads included; reaped children
 * too), from /proc/<pid>/stat utime+cutime and stime+cstime. Null when the group is gone.
 */
export function groupCpuTimes(pgid) {
  let user = 0;
  let system = 0;
  let found = false;
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) > 57) continue; // not a pid
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue;
    }
    // Fields after the command name (which may hold spaces): state ppid pgrp ... utime(14) stime cutime cstime.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(f[2]) !== pgid) continue;
    found = true;
    user += Number(f[11]) + Number(f[13]);
    system += Number(f[12]) + Number(f[14]);
  }
  return found ? { user: user / USER_HZ, system: system / USER_HZ } : null;
}
