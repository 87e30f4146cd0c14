import t from 'tap';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { MAIN } from '../helpers/daemon.js';
import { parseDig, type DigResult } from '../helpers/dig.js';
import { stopChild } from '../helpers/process.js';
import { FIXTURES } from '../fixtures/views/setup.js';

/**
 * The LAN view exercised from real LAN-looking addresses. The test builds its own little network
 * out of network namespaces and veth pairs, touching nothing outside them:
 *
 *   ns "lan"  192.168.1.10 ── veth ── 192.168.1.1  ns "srv" (horizond)  10.0.20.1 ── veth ── 10.0.20.5, 10.0.20.10  ns "k8s"
 *
 * horizond runs inside "srv" and listens on its two veth addresses; clients run `dig` inside
 * "lan" and "k8s". No address is added to the host's own namespace. Needs root (CAP_NET_ADMIN).
 */

const run_ = promisify(execFile);
const tag = `hz${process.pid % 100000}`;
const NS = { srv: `${tag}-srv`, lan: `${tag}-lan`, k8s: `${tag}-k8s` };
const IF = { lanSrv: `${tag}ls`, lanCli: `${tag}lc`, k8sSrv: `${tag}ks`, k8sCli: `${tag}kc` };

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

function inNs(ns: string, ...args: string[]): void {
  ip('netns', 'exec', ns, ...args);
}

function setupNetwork(): void {
  for (const ns of Object.values(NS)) {
    ip('netns', 'add', ns);
    inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
  }
  ip('link', 'add', IF.lanSrv, 'netns', NS.srv, 'type', 'veth', 'peer', 'name', IF.lanCli, 'netns', NS.lan);
  ip('link', 'add', IF.k8sSrv, 'netns', NS.srv, 'type', 'veth', 'peer', 'name', IF.k8sCli, 'netns', NS.k8s);
  inNs(NS.srv, 'ip', 'addr', 'add', '192.168.1.1/24', 'dev', IF.lanSrv);
  inNs(NS.srv, 'ip', 'addr', 'add', '10.0.20.1/24', 'dev', IF.k8sSrv);
  inNs(NS.lan, 'ip', 'addr', 'add', '192.168.1.10/24', 'dev', IF.lanCli);
  inNs(NS.k8s, 'ip', 'addr', 'add', '10.0.20.5/24', 'dev', IF.k8sCli);
  inNs(NS.k8s, 'ip', 'addr', 'add', '10.0.20.10/24', 'dev', IF.k8sCli);
  for (const [ns, dev] of [[NS.srv, IF.lanSrv], [NS.srv, IF.k8sSrv], [NS.lan, IF.lanCli], [NS.k8s, IF.k8sCli]] as const) {
    inNs(ns, 'ip', 'link', 'set', dev, 'up');
  }
}

/** Deleting a namespace destroys the veth ends in it, and with them their peers. */
function teardownNetwork(): void {
  for (const ns of Object.values(NS)) {
    try { ip('netns', 'del', ns); } catch { /* not created */ }
  }
}

const zone = (rel: string) => readFileSync(join(FIXTURES, rel), 'utf8');

const CONFIG = `server:
  listen:
    - { address: 192.168.1.1, port: 0 }
    - { address: 10.0.20.1, port: 0 }
log: { level: info }
networks:
  lan: [192.168.1.0/24]
  k8s: [10.0.20.0/24]
  coredns: [10.0.20.10]
zones:
  - { name: example.net., file: zones/example.net.zone }
  - { name: 113.0.203.in-addr.arpa., file: zones/113.0.203.in-addr.arpa.zone }
views:
  trustedForwarders: [coredns]
  list:
    - name: lan
      match: [lan]
      translate:
        - { external: 203.0.113.10, internal: 10.0.20.200 }
      translateReverse: true
      zones:
        - { name: corp.example., file: zones/corp.example.zone }
    - name: k8s
      match: [k8s]
`;

interface NsDaemon {
  proc: ChildProcess;
  ports: Map<string, number>;
  stop(): Promise<void>;
}

/** Starts dist/main.js inside the server namespace and waits for its `ready` line. */
async function startInNs(dir: string): Promise<NsDaemon> {
  const proc = spawn('ip', ['netns', 'exec', NS.srv, process.execPath, MAIN, '--config', join(dir, 'horizond.yaml')], {
    cwd: dir, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (c) => { stderr += c; });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line; stderr: ${stderr}`)), 15000);
    void exited.then(() => { clearTimeout(timer); reject(new Error(`daemon exited; stderr: ${stderr}`)); });
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      try {
        const rec = JSON.parse(line) as Record<string, unknown>;
        if (rec.msg === 'ready') { clearTimeout(timer); resolve(rec); }
      } catch { /* not JSON */ }
    });
  });
  const ports = new Map<string, number>();
  for (const l of ready.listeners as { protocol: string; address: string; port: number }[]) if (l.protocol === 'udp') ports.set(l.address, l.port);
  return {
    proc, ports,
    stop: () => stopChild(proc, 8000),
  };
}

async function digIn(ns: string, server: string, port: number, name: string, type: string, args: string[] = []): Promise<DigResult> {
  const { stdout } = await run_('ip', ['netns', 'exec', ns, 'dig', `@${server}`, '-p', String(port), name, type, '+tries=1', '+time=3', '+nocookie', ...args], { timeout: 15000 });
  return parseDig(stdout);
}

function run(): void {
  let daemon: NsDaemon | null = null;
  const dir = mkdtempSync(join(tmpdir(), 'horizond-netns-'));
  const cleanup = async (): Promise<void> => {
    await daemon?.stop();
    daemon = null;
    teardownNetwork();
    rmSync(dir, { recursive: true, force: true });
  };
  t.teardown(cleanup); // also when a test above failed

  t.before(async () => {
    teardownNetwork(); // leftovers of an interrupted run with the same pid
    setupNetwork();
    mkdirSync(join(dir, 'zones'));
    writeFileSync(join(dir, 'zones/example.net.zone'), zone('example.net.zone'));
    writeFileSync(join(dir, 'zones/corp.example.zone'), zone('lan/corp.example.zone'));
    writeFileSync(join(dir, 'zones/113.0.203.in-addr.arpa.zone'), zone('113.0.203.in-addr.arpa.zone'));
    writeFileSync(join(dir, 'horizond.yaml'), CONFIG);
    daemon = await startInNs(dir);
  });

  t.test('a client at 192.168.1.10 is in the LAN view', async (t) => {
    const port = daemon!.ports.get('192.168.1.1')!;
    const r = await digIn(NS.lan, '192.168.1.1', port, 'app.example.net', 'A');
    t.equal(r.status, 'NOERROR');
    t.same(r.answer, ['app.example.net. 300 IN A 10.0.20.200'], 'hairpin translation');
    t.same((await digIn(NS.lan, '192.168.1.1', port, 'wiki.corp.example', 'A')).answer, ['wiki.corp.example. 120 IN A 192.168.1.80'], 'LAN-only zone');
    const ptr = await digIn(NS.lan, '192.168.1.1', port, '200.20.0.10.in-addr.arpa', 'PTR');
    t.same(ptr.answer, ['200.20.0.10.in-addr.arpa. 900 IN PTR app.example.net.'], 'dig -x of the internal address: the public name');
  });

  t.test('a client at 10.0.20.5 is in the k8s view', async (t) => {
    const port = daemon!.ports.get('10.0.20.1')!;
    t.same((await digIn(NS.k8s, '10.0.20.1', port, 'app.example.net', 'A', ['-b', '10.0.20.5'])).answer, ['app.example.net. 300 IN A 203.0.113.10']);
    t.not((await digIn(NS.k8s, '10.0.20.1', port, 'wiki.corp.example', 'A', ['-b', '10.0.20.5'])).status, 'NOERROR');
  });

  t.test('the cluster DNS at 10.0.20.10 speaks for a LAN client with ECS', async (t) => {
    const port = daemon!.ports.get('10.0.20.1')!;
    const r = await digIn(NS.k8s, '10.0.20.1', port, 'app.example.net', 'A', ['-b', '10.0.20.10', '+subnet=192.168.1.0/24']);
    t.same(r.answer, ['app.example.net. 300 IN A 10.0.20.200']);
    const spoof = await digIn(NS.k8s, '10.0.20.1', port, 'app.example.net', 'A', ['-b', '10.0.20.5', '+subnet=192.168.1.0/24']);
    t.same(spoof.answer, ['app.example.net. 300 IN A 203.0.113.10'], 'a pod claiming the LAN is not believed');
  });

  t.test('everything the test created is gone', async (t) => {
    await cleanup();
    t.notMatch(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }), tag, 'namespaces removed');
    t.notMatch(execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' }), tag, 'no veth left on the host');
  });
}

if (process.getuid?.() !== 0 && !process.env.CI) {
  t.skip('network namespaces need root', () => {});
} else {
  run();
}
