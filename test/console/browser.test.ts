/**
 * The console in a real browser: Debian's Chromium driven by playwright-core through
 * `executablePath` (no browser download), against the real daemon. Sign in, watch the dashboard
 * count a dig loop, add a record on the Zones page and resolve it with dig, see a lease after an
 * nsupdate signed like Kea's, look a name up in the cache. A screenshot of every page is kept in
 * test-artifacts/console/ and checked not to be blank.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { chromium, type Browser, type Page } from 'playwright-core';
import { dig } from '../helpers/dig.js';
import { ROOT, startDaemon, type Daemon } from '../helpers/daemon.js';
import { FakeUpstream, aRecord } from '../helpers/fake-upstream.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SECRET = 'fjku5gwTzpzeoWFWAHF5VaFp8iMpR14Y8/STl8bbnmY=';
const TOKEN = 'browser-admin-token-0123456789';
const ARTIFACTS = join(ROOT, 'test-artifacts', 'console');
const H = '127.0.0.1';
/** What the functions run in the page see (playwright serialises them; no DOM types in this project). */
declare const document: { querySelector(s: string): { textContent: string | null } | null };

if (!existsSync(CHROMIUM)) {
  // .ci/run installs Debian's chromium; a machine without it cannot run this file.
  t.fail(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)`);
  t.end();
} else {
  let d: Daemon;
  let up: FakeUpstream;
  let browser: Browser;
  let page: Page;
  let base: string;

  t.before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    up = await FakeUpstream.start();
    up.set('www.example.', { answer: [aRecord('www.example.', '198.51.100.80', 300)] });
    d = await startDaemon({
      copyZones: true,
      files: { 'admin.tok': TOKEN },
      config: `server:
  listen: [{ address: 127.0.0.1, port: 0 }]
  dataDir: data
metrics: { enabled: false }
networks: { admin: [127.0.0.0/8] }
keys: [ { name: kea-ddns., secret: "${SECRET}" } ]
console:
  enabled: true
  listen: "127.0.0.1:0"
  tokens: [ { name: admin, secretFile: admin.tok, scope: write } ]
forward: { upstreams: [ { address: 127.0.0.1, port: ${up.port} } ] }
zones:
  - name: home.lan.
    file: zones/home.lan.zone
    update: { preset: kea, keys: [kea-ddns.], tokens: [admin], networks: [admin], rules: [ { name: { zone: true }, types: [A, TXT] } ] }
`,
    });
    const c = d.logs.find((r) => r.msg === 'ready')!.console as { address: string; port: number };
    base = `http://${c.address}:${c.port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      timeout: 60_000,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.setDefaultTimeout(30_000);
  });

  t.teardown(async () => {
    await browser?.close();
    await d?.stop();
    await up?.close();
  });

  /** Saves a screenshot and checks the page is not blank (text shown, an image that is not one colour). */
  async function shot(t: Test, name: string, mustShow: string): Promise<void> {
    const png = await page.screenshot({ fullPage: true });
    writeFileSync(join(ARTIFACTS, `${name}.png`), png);
    const text = await page.evaluate<string>('document.body.innerText');
    t.ok(text.includes(mustShow), `${name}: the page shows "${mustShow}"`);
    // A blank or one-colour 1280x860 page compresses to a few KB; a rendered page does not.
    t.ok(png.length > 12_000, `${name}: the screenshot is not blank (${png.length} bytes)`);
  }

  t.test('sign in with a token; a wrong one is refused', async (t) => {
    await page.goto(base);
    await page.fill('#token', 'wrong-token-wrong-token');
    await page.click('#signin');
    await page.waitForSelector('text=That token was not accepted.');
    await shot(t, '0-sign-in', 'Sign in');
    await page.fill('#token', TOKEN);
    await page.click('#signin');
    await page.waitForSelector('#answers');
    t.equal(await page.evaluate<string | null>("sessionStorage.getItem('horizond.token')"), TOKEN, 'the token is kept in session storage');
    t.same(await page.context().cookies(), [], 'no cookie is set');
  });

  t.test('the dashboard counts a dig loop', async (t) => {
    const before = Number((await page.textContent('#answers'))!.replace(/,/g, '')) || 0;
    for (let i = 0; i < 40; i++) await dig(H, d.port, i % 2 ? 'www.example' : 'host1.home.lan', 'A');
    await page.waitForFunction((want) => Number((document.querySelector('#answers')?.textContent ?? '').replace(/,/g, '')) >= want, before + 40, { timeout: 30_000 });
    await page.waitForFunction(() => Number((document.querySelector('#qps')?.textContent ?? '').replace(/,/g, '')) > 0, undefined, { timeout: 30_000 });
    t.ok(await page.$('#qps-chart canvas'), 'the QPS chart is drawn');
    await shot(t, '1-dashboard', 'Answers per second');
  });

  t.test('zones: add a record in the browser, resolve it with dig', async (t) => {
    await page.click('#nav-zones');
    await page.click('text=home.lan.');
    await page.waitForSelector('#add-record');
    await page.fill('#add-record input[name=name]', 'browser.home.lan');
    await page.fill('#add-record input[name=data]', '192.168.1.222');
    await page.click('#add-record button[type=submit]');
    await page.waitForSelector('text=Added; serial');
    const r = await dig(H, d.port, 'browser.home.lan', 'A');
    t.same(r.answer.map((l) => l.split(' ')[4]), ['192.168.1.222']);
    await page.waitForSelector('#records >> text=192.168.1.222');
    await shot(t, '2-zone-records', 'browser.home.lan.');
  });

  t.test('leases: a name registered by an update signed like Kea\'s shows up', async (t) => {
    const script = [`server ${H} ${d.port}`, 'zone home.lan.', 'update add kea-host.home.lan. 600 IN A 192.168.1.141',
      'update add kea-host.home.lan. 600 IN DHCID AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=', 'send', ''].join('\n');
    const code = await new Promise<number | null>((resolve) => {
      const c = spawn('nsupdate', ['-y', `hmac-sha256:kea-ddns.:${SECRET}`], { timeout: 20_000 });
      c.on('close', resolve);
      c.stdin.end(script);
    });
    t.equal(code, 0);
    await page.click('#nav-leases');
    await page.waitForSelector('#leases >> text=kea-host.home.lan.');
    await shot(t, '3-leases', '192.168.1.141');
  });

  t.test('cache: look a forwarded name up', async (t) => {
    await page.click('#nav-cache');
    await page.fill('#cache-lookup input[name=name]', 'www.example');
    await page.click('#cache-lookup button[type=submit]');
    await page.waitForSelector('#cache-entries');
    await shot(t, '4-cache', 'fresh');
  });

  t.test('the zones page lists every zone', async (t) => {
    await page.click('#nav-zones');
    await page.waitForSelector('#zones >> text=home.lan.');
    await shot(t, '5-zones', 'home.lan.');
  });
}
