import { join } from 'node:path';
import { inspect } from 'node:util';
import t from 'tap';
import { parseConfig } from '../../../src/config/index.js';
import { configErrors as errors } from '../../helpers/config.js';

const SECRET = 'c3VwZXItc2VjcmV0LWtleS1tYXRlcmlhbC0xMjM0NTY=';
const NOT_BASE64 = 'hunter2-is-my-password!';

t.test('inline and file secrets', async (t) => {
  const dir = t.testdir({ 'kea.key': `${SECRET}\n`, secrets: { 'split.key': 'c3Vw\nZXI=\n' } });
  const c = parseConfig([
    'keys:',
    `  - { name: Kea-DDNS, secret: "${SECRET}" }`,
    '  - { name: file., algorithm: hmac-sha512, secretFile: kea.key }',
    '  - { name: split., secretFile: secrets/split.key }',
  ].join('\n'), 'h.yaml', dir);
  t.same(c.keys.map((k) => [k.name, k.algorithm, k.secret.file]), [
    ['kea-ddns.', 'hmac-sha256', null],
    ['file.', 'hmac-sha512', join(dir, 'kea.key')],
    ['split.', 'hmac-sha256', join(dir, 'secrets', 'split.key')],
  ]);
  t.equal(c.keys[0]!.secret.base64(), SECRET);
  t.equal(c.keys[1]!.secret.bytes().toString(), 'super-secret-key-material-123456');
  t.equal(c.keys[2]!.secret.bytes().toString(), 'super', 'whitespace in the file is ignored');
  for (const shown of [JSON.stringify(c.keys), inspect(c, { depth: 10 }), String(c.keys[0]!.secret)]) {
    t.notMatch(shown, SECRET.slice(0, 12), 'the secret does not show');
  }
});

t.test('key errors, none of which show the secret', async (t) => {
  const dir = t.testdir({ 'bad.key': `${NOT_BASE64}\n`, 'dir.key': {} });
  const text = [
    'keys:',                                                        // 1
    `  - { name: a., secret: "${NOT_BASE64}" }`,                    // 2
    `  - { name: b., secret: "${SECRET}", secretFile: x.key }`,     // 3
    '  - { name: c., algorithm: hmac-sha257, secret: "AAAA" }',     // 4
    '  - { name: d., secretFile: bad.key }',                        // 5
    '  - { name: e., secretFile: missing.key }',                    // 6
    '  - { name: f., secretFile: dir.key }',                        // 7
    `  - { name: ok., secret: "${SECRET}" }`,                       // 8
    `  - { name: OK, secret: "${SECRET}" }`,                        // 9
    '  - { name: "bad name", secret: 12345 }',                      // 10
    '  - { name: g. }',                                             // 11
  ].join('\n');
  const got = errors(text, dir);
  t.same(got, [
    'h.yaml:2:25: keys[0].secret: is not valid base64 (value not shown)',
    'h.yaml:3:85: keys[1].secretFile: use either secret or secretFile, not both',
    'h.yaml:4:28: keys[2].algorithm: expected one of hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha224, hmac-sha1, hmac-md5 (did you mean "hmac-sha256"?)',
    `h.yaml:5:29: keys[3].secretFile: ${join(dir, 'bad.key')} does not hold base64 text (content not shown)`,
    `h.yaml:6:29: keys[4].secretFile: cannot read ${join(dir, 'missing.key')}: no such file`,
    `h.yaml:7:29: keys[5].secretFile: cannot read ${join(dir, 'dir.key')}: is a directory`,
    'h.yaml:9:13: keys[7].name: duplicate key "ok." (first at line 8)',
    'h.yaml:10:13: keys[8].name: expected a domain name such as home.lan. (labels of 1..63 letters, digits, "-" or "_"; at most 255 bytes)',
    'h.yaml:10:33: keys[8].secret: expected base64 text, got a number',
    'h.yaml:11:5: keys[9]: needs secret or secretFile',
  ]);
  const all = got.join('\n');
  t.notMatch(all, 'hunter2');
  t.notMatch(all, SECRET.slice(0, 12));
});

t.test('a YAML error on a secret line does not quote the secret', async (t) => {
  const got = errors(`keys:\n  - name: a.\n    secret: ${SECRET}: oops\n`, '/');
  t.equal(got.length, 1);
  t.match(got[0], /^h\.yaml:3:\d+: invalid YAML: /);
  t.notMatch(got[0], SECRET.slice(0, 12));
});
