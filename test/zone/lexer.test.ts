import t from 'tap';
import { Lexer, type Entry } from '../../src/zone/lexer.js';
import { ZoneParseError } from '../../src/zone/errors.js';

function entries(text: string): Entry[] {
  const lx = new Lexer(text, 'z.zone');
  const out: Entry[] = [];
  for (let e = lx.next(); e !== null; e = lx.next()) out.push(e);
  return out;
}

const words = (e: Entry): string[] => e.tokens.map((tk) => tk.text);

t.test('splits lines into tokens with 1-based line and column', async (t) => {
  const es = entries('www  IN A 192.0.2.1\n\tTXT "x y"\n');
  t.equal(es.length, 2);
  t.same(es[0]!.tokens, [
    { text: 'www', quoted: false, line: 1, col: 1 },
    { text: 'IN', quoted: false, line: 1, col: 6 },
    { text: 'A', quoted: false, line: 1, col: 9 },
    { text: '192.0.2.1', quoted: false, line: 1, col: 11 },
  ]);
  t.equal(es[0]!.blankOwner, false);
  t.equal(es[1]!.blankOwner, true, 'a line starting with a tab inherits the owner');
  t.same(es[1]!.tokens[1], { text: 'x y', quoted: true, line: 2, col: 6 });
});

t.test('comments, blank lines and CRLF produce no tokens', async (t) => {
  const es = entries('; only a comment\r\n\r\n   \r\na A 192.0.2.1 ; trailing\r\n  ; indented comment\r\n');
  t.equal(es.length, 1);
  t.same(words(es[0]!), ['a', 'A', '192.0.2.1']);
  t.equal(es[0]!.tokens[0]!.line, 4);
});

t.test('parentheses join lines and may nest; comments inside are skipped', async (t) => {
  const es = entries('@ SOA ( ns1 host ; c1\n  1 2 ( 3\n 4 ) 5 )\nnext A 192.0.2.1\n');
  t.equal(es.length, 2);
  t.same(words(es[0]!), ['@', 'SOA', 'ns1', 'host', '1', '2', '3', '4', '5']);
  t.equal(es[0]!.tokens[8]!.line, 3);
  t.equal(es[0]!.tokens[8]!.col, 6);
  t.same(words(es[1]!), ['next', 'A', '192.0.2.1']);
});

t.test('quoted strings keep ; ( and escapes raw; a quote splits a word', async (t) => {
  const es = entries('x TXT "semi ; (paren) \\"q\\" \\\\" abc"def" a\\;b \\# \\065\n');
  const toks = es[0]!.tokens;
  t.same(toks[2], { text: 'semi ; (paren) \\"q\\" \\\\', quoted: true, line: 1, col: 7 });
  t.same(words(es[0]!).slice(3), ['abc', 'def', 'a\\;b', '\\#', '\\065']);
  t.equal(toks[4]!.quoted, true);
  t.equal(toks[5]!.text, 'a\\;b', 'an escaped ; does not start a comment');
});

t.test('escaped space stays inside the token', async (t) => {
  const es = entries('a\\ b TXT x\n');
  t.same(words(es[0]!), ['a\\ b', 'TXT', 'x']);
});

t.test('errors carry file:line:col', async (t) => {
  const cases: [string, string][] = [
    ['a TXT "open\n', 'z.zone:1:7: unterminated quoted string'],
    ['a A 1 )\n', "z.zone:1:7: unbalanced parentheses: ')' without '('"],
    ['x A 1\n@ SOA (\n a b\n', "z.zone:2:7: unbalanced parentheses: '(' is never closed"],
    ['a TXT x\\\n', 'z.zone:1:8: backslash at the end of a line'],
  ];
  for (const [text, msg] of cases) {
    t.throws(() => entries(text), { name: 'ZoneParseError', message: msg }, msg);
  }
  const err = (() => {
    try { entries('\n\n  a TXT "x\n'); } catch (e) { return e as ZoneParseError; }
    return null;
  })();
  t.ok(err instanceof ZoneParseError);
  t.same([err!.file, err!.line, err!.col], ['z.zone', 3, 9]);
});
