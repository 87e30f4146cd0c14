import t from 'tap';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/daemon.js';
import { pipelineFromYaml } from '../helpers/pipeline.js';

/**
 * build.ts is the one place the chain is declared; the README's "How it is built" shows it. With
 * every feature configured the built chain must be exactly the README's, stage for stage, and
 * leaving a feature out must leave its stages out.
 */
const FIXTURES = join(ROOT, 'test', 'fixtures', 'views');

const EVERYTHING = `
networks: { lan: [192.168.1.0/24] }
zones:
  - { name: home.lan., file: home.lan.zone }
  - { name: sec.example., type: secondary, file: sec.copy, primaries: [{ address: 127.0.0.1, port: 9 }] }
forward:
  upstreams: [{ address: 192.0.2.53 }]
  nxdomain: [wpad.]
blocking:
  lists: { ads: [ads.txt] }
views:
  list:
    - name: lan
      match: [lan]
      blocking: [ads]
      translate: [{ external: 203.0.113.10, internal: 192.168.1.50 }]
      translateReverse: true
      zones: [{ name: example.net., file: example.net.zone }]
    - name: default
`;

/** The chain as the README draws it: stage names in order, then `out:` and the post stages. */
function readmeChain(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## How it is built'));
  const block = /```\n(accept[\s\S]*?)```/.exec(section);
  if (block === null) throw new Error('README: no chain block under "How it is built"');
  const lines = block[1]!.split('\n');
  const names: string[] = [];
  for (const line of lines) {
    if (line.startsWith('then')) break; // the Responder's fixed steps, not stages
    const text = line.startsWith('out:') ? line.slice(4) : line;
    if (line.startsWith('out:')) names.push('out:');
    names.push(...text.split('→').map((s) => s.trim()).filter(Boolean));
  }
  return names;
}

t.test('with every feature on, build.ts builds exactly the chain the README shows', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'horizond-build-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const f of ['home.lan.zone', 'example.net.zone']) copyFileSync(join(FIXTURES, f), join(dir, f));
  writeFileSync(join(dir, 'ads.txt'), 'ads.example.com\n');
  const p = await pipelineFromYaml(EVERYTHING, { baseDir: dir, relay: () => Promise.resolve(null) });
  t.teardown(() => p.close());
  t.same(p.pipeline.order, readmeChain());
});

t.test('features that are not configured leave their stages out', async (t) => {
  const p = await pipelineFromYaml('zones: [{ name: home.lan., file: home.lan.zone }]', { baseDir: FIXTURES });
  t.teardown(() => p.close());
  t.same(p.pipeline.order, ['accept', 'cookies', 'rate-limit', 'tsig', 'update', 'notify', 'xfr', 'authoritative', 'refuse', 'out:']);
  const off = await pipelineFromYaml('cookies: { enabled: false }\nrateLimit: { enabled: false }\nzones: [{ name: home.lan., file: home.lan.zone }]', { baseDir: FIXTURES });
  t.teardown(() => off.close());
  t.same(off.pipeline.order, ['accept', 'tsig', 'update', 'notify', 'xfr', 'authoritative', 'refuse', 'out:'], 'cookies and rate-limit are left out when turned off');
});
