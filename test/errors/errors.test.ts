/**
 * The error table (src/errors) and docs/errors.md agree, and nothing in src throws an error
 * without a code.
 */
import t from 'tap';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ERRORS, HzError, isHzError, type HzErrorCode } from '../../src/errors/index.js';
import { ROOT } from '../helpers/daemon.js';

const doc = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');
const documented = new Set([...doc.matchAll(/^\| `(HZ_ERR_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]!));
const codes = Object.keys(ERRORS) as HzErrorCode[];

t.test('every operator-facing code is documented in docs/errors.md', async (t) => {
  for (const code of codes.filter((c) => ERRORS[c].operator)) t.ok(documented.has(code), `${code} is documented`);
});

t.test('every documented code exists in the table and is operator-facing', async (t) => {
  t.ok(documented.size > 0);
  for (const code of documented) {
    t.ok(Object.hasOwn(ERRORS, code), `${code} exists`);
    t.ok(ERRORS[code as HzErrorCode]?.operator, `${code} is marked operator-facing`);
  }
  const mentioned = new Set([...doc.matchAll(/HZ_ERR_[A-Z0-9_]+/g)].map((m) => m[0]));
  for (const code of mentioned) t.ok(Object.hasOwn(ERRORS, code), `${code} (mentioned) exists`);
});

t.test('codes are HZ_ERR_ and upper case; every entry says what it means', async (t) => {
  for (const code of codes) {
    t.match(code, /^HZ_ERR_[A-Z0-9]+(_[A-Z0-9]+)*$/);
    t.ok(ERRORS[code].summary.length > 10, `${code} has a summary`);
  }
});

t.test('HzError carries its code; the concern classes are HzErrors', async (t) => {
  const e = new HzError('HZ_ERR_INTERNAL', 'x', { cause: 1 });
  t.equal(e.code, 'HZ_ERR_INTERNAL');
  t.equal(e.cause, 1);
  t.ok(e instanceof Error);
  t.ok(isHzError(e, 'HZ_ERR_INTERNAL'));
  t.notOk(isHzError(e, 'HZ_ERR_CONFIG'));
  const { ConfigError } = await import('../../src/config/errors.js');
  const { ZoneParseError } = await import('../../src/zone/errors.js');
  const { WireError } = await import('../../src/wire/errors.js');
  const { XfrError } = await import('../../src/xfr/errors.js');
  const { UpstreamError } = await import('../../src/resolver/upstream/errors.js');
  const { ListenError } = await import('../../src/transport/errors.js');
  const { PresentationError } = await import('../../src/wire/rdata/text-error.js');
  const parse = new ZoneParseError('z.zone', 3, 7, 'bad');
  t.equal(parse.message, 'z.zone:3:7: bad', 'the position stays in the message');
  const all: [HzError, HzErrorCode][] = [
    [new ConfigError([{ file: 'h.yaml', line: 1, col: 2, path: 'a', message: 'b' }]), 'HZ_ERR_CONFIG'],
    [parse, 'HZ_ERR_ZONE_PARSE'],
    [new WireError('w'), 'HZ_ERR_WIRE'],
    [new XfrError('x'), 'HZ_ERR_XFR_PROTOCOL'],
    [new XfrError('x', 'HZ_ERR_XFR_TSIG'), 'HZ_ERR_XFR_TSIG'],
    [new UpstreamError('HZ_ERR_UPSTREAM_TIMEOUT', 'u'), 'HZ_ERR_UPSTREAM_TIMEOUT'],
    [new ListenError('l', 'EADDRINUSE', 'udp', '127.0.0.1', 53), 'HZ_ERR_LISTEN'],
    [new PresentationError('p', null), 'HZ_ERR_PRESENTATION'],
  ];
  for (const [err, code] of all) {
    t.ok(err instanceof HzError, `${err.name} is an HzError`);
    t.equal(err.code, code, `${err.name}: ${code}`);
    t.ok(Object.hasOwn(ERRORS, err.code));
  }
});

function* sources(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* sources(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

t.test('src throws no error without a code, and names only codes of the table', async (t) => {
  const bare: string[] = [];
  const unknown: string[] = [];
  for (const file of sources(join(ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    text.split('\n').forEach((line, i) => {
      // Plain Error/RangeError/TypeError objects have no code; files.ts's EISDIR imitates an fs error for fileReason.
      if (/new (Range|Type|Syntax)?Error\(/.test(line) && !line.includes("code: 'EISDIR'")) bare.push(`${file.slice(ROOT.length + 1)}:${i + 1}: ${line.trim()}`);
      for (const m of line.matchAll(/'(HZ_ERR_[A-Z0-9_]+)'/g)) if (!Object.hasOwn(ERRORS, m[1]!)) unknown.push(`${file.slice(ROOT.length + 1)}:${i + 1}: ${m[1]}`);
    });
  }
  t.same(bare, [], 'every thrown error is an HzError (src/errors)');
  t.same(unknown, [], 'every HZ_ERR_ code used is in the table');
});
