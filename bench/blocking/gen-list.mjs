// Writes N generated domains (default 1,000,000) as a hosts file, plain list or AdBlock list.
// usage: node bench/blocking/gen-list.mjs N format(hosts|plain|adblock) > file
const n = Number(process.argv[2] ?? 1_000_000);
const format = process.argv[3] ?? 'hosts';
let x = 20261208;
const rnd = () => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x; };
const tlds = ['com', 'net', 'org', 'io', 'de', 'info', 'xyz', 'co.uk'];
const out = [];
const prefix = format === 'hosts' ? '0.0.0.0 ' : format === 'adblock' ? '||' : '';
const suffix = format === 'adblock' ? '^' : '';
for (let i = 0; i < n; i++) {
  const name = `${rnd().toString(36)}${i.toString(36)}.${(rnd() % 50000).toString(36)}-ads.${tlds[rnd() % tlds.length]}`;
  out.push(prefix + name + suffix);
  if (out.length === 10000) { process.stdout.write(out.join('\n') + '\n'); out.length = 0; }
}
process.stdout.write(out.join('\n') + '\n');
