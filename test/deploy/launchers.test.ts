import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/daemon.js';

// Every way of starting the daemon passes the same node flags: heap kept close to what is live
// (the memory targets) and no memory-reducer GCs (their mark-compacts were the p99.9 latency).
const FLAGS = ['--optimize-for-size', '--no-memory-reducer'];

function read(rel: string): string {
  return readFileSync(join(ROOT, rel), 'utf8');
}

/** The node flags in a command line (words starting with `--` before the script path). */
function flagsBefore(words: string[], script: RegExp): string[] {
  const end = words.findIndex((w) => script.test(w));
  return words.slice(0, end < 0 ? words.length : end).filter((w) => w.startsWith('--'));
}

t.test('npm start', async (t) => {
  const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts['start']!;
  t.same(flagsBefore(start.split(/\s+/), /main\.js$/), FLAGS);
});

t.test('the bin script shebang (env -S)', async (t) => {
  const first = read('src/main.ts').split('\n')[0]!;
  t.match(first, /^#!\/usr\/bin\/env -S node /);
  t.same(flagsBefore(first.split(/\s+/), /^$/), FLAGS);
});

t.test('Dockerfile ENTRYPOINT', async (t) => {
  const line = read('Dockerfile').split('\n').find((l) => l.startsWith('ENTRYPOINT'))!;
  const words = JSON.parse(line.slice('ENTRYPOINT'.length).trim()) as string[];
  t.equal(words[0], 'node');
  t.same(flagsBefore(words, /main\.js$/), FLAGS);
});

t.test('systemd unit ExecStart', async (t) => {
  const line = read('deploy/systemd/horizond.service').split('\n').find((l) => l.startsWith('ExecStart='))!;
  t.same(flagsBefore(line.split(/\s+/), /main\.js$/), FLAGS);
});

t.test('the benchmark starts horizond the same way', async (t) => {
  const { NODE_FLAGS } = (await import(join(ROOT, 'bench/lib/targets.mjs'))) as { NODE_FLAGS: string[] };
  t.same(NODE_FLAGS, FLAGS);
});
