import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { MAIN, ROOT } from '../helpers/daemon.js';

/** `horizond blocking test` and `check` on the example config, from the repository root. */

const run = promisify(execFile);
const EXAMPLE = 'config/examples/blocking.yaml';

async function test(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [MAIN, 'blocking', 'test', ...args, '--config', EXAMPLE], { cwd: ROOT, timeout: 30000 });
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

t.test('the example config checks ok', async (t) => {
  const { stdout } = await run(process.execPath, [MAIN, 'check', '--config', EXAMPLE], { cwd: ROOT, timeout: 30000 });
  t.match(stdout, /config\/examples\/blocking\.yaml: ok/);
});

t.test('blocked: group, source, line and entry', async (t) => {
  t.equal((await test('x.ads.example.com', '--view', 'lan')).out, 'x.ads.example.com: blocked in view lan by group ads\n  lists/hosts.txt:6: ads.example.com\n');
  t.equal((await test('deep.x.botnet.example')).out, 'deep.x.botnet.example: blocked for every group by group malware\n  lists/domains.txt:4: botnet.example\n');
});

t.test('not blocked: the allow entry or exception that lets it through, or why not', async (t) => {
  t.equal((await test('ok.tracker.example.net', '--view', 'lan')).out,
    'ok.tracker.example.net: not blocked in view lan: listed, but allowed by an @@ exception\n  lists/adblock.txt:5: ok.tracker.example.net\n');
  t.equal((await test('cdn.allowed-by-allowlist.example')).out,
    'cdn.allowed-by-allowlist.example: not blocked for every group: listed, but allowed by the allowlist\n  lists/allow.txt:2: allowed-by-allowlist.example\n');
  t.equal((await test('ads.example.com', '--view', 'k8s')).out, 'ads.example.com: not blocked in view k8s (no group applies)\n');
  t.equal((await test('www.example.com')).out, 'www.example.com: not blocked for every group: not listed in ads, malware\n');
});

t.test('an unknown view is an error', async (t) => {
  const r = await test('x.example', '--view', 'nope');
  t.equal(r.code, 1);
  t.equal(r.err, 'horizond: blocking: no view named "nope" (views: lan, k8s) [HZ_ERR_BLOCKING_UNKNOWN_VIEW]\n');
});
