// Two experiments on one host behind Debian's Caddy, as deploy/ sets them up (docs/deploy.md):
// TLS from Caddy's internal CA, one path per experiment through deploy/cohort-experiment.caddy,
// WebSocket upgrades, the participant's own address passed on and believed only from the proxy,
// the admin token read from a file as systemd's LoadCredential= hands it over, and a dashboard
// control that works under the experiment's path.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { io } from 'socket.io-client';
import { chromium } from 'playwright-core';
import { Server, TOKEN, gameScene, sleep } from './harness.mjs';

const DEPLOY = resolve(import.meta.dirname, '../../deploy');
const SNIPPET = join(DEPLOY, 'cohort-experiment.caddy');
const FILE_TOKEN = 'token-from-a-credential-file-0123';

function freePort() {
  return new Promise((done) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => done(port));
    });
  });
}

function study(name) {
  return {
    experiment_id: name,
    server: { trusted_proxies: ['127.0.0.1'], max_connections_per_address: 1 },
    scenes: [{ scene_id: `${name}-consent`, type: 'static' }, gameScene(), { scene_id: 'end', type: 'static' }],
  };
}

let dir, caddy, caddyLog = '', site, ca;
const servers = {};

// GET through Caddy, checking its certificate against Caddy's own CA.
function get(path, token) {
  return new Promise((done, fail) => {
    const headers = token ? { Authorization: `Bearer ${token}` } : {};
    request(`${site}${path}`, { ca, headers }, (response) => {
      let body = '';
      response.on('data', (chunk) => { body += chunk; });
      response.on('end', () => done({ status: response.statusCode, body }));
    }).on('error', fail).end();
  });
}

// A stock socket.io client over wss to one experiment's path; resolves once connected or
// rejects with the connect error.
function connect(name, options = {}) {
  const socket = io(site, {
    path: `/e/${name}/socket.io/`, transports: ['websocket'], reconnection: false, forceNew: true, timeout: 5000,
    ca, ...options,
  });
  const events = [];
  socket.onAny((event, payload) => events.push({ event, payload }));
  return new Promise((done, fail) => {
    socket.once('connect', () => done({ socket, events }));
    socket.once('connect_error', (error) => { socket.close(); fail(error); });
  });
}

async function eventually(client, event, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = client.events.find((e) => e.event === event);
    if (found) return found.payload;
    if (Date.now() > deadline) throw new Error(`no ${event}; got ${client.events.map((e) => e.event)}`);
    await sleep(20);
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cohort-caddy-'));
  const tokenFile = join(dir, 'alpha.token');
  writeFileSync(tokenFile, `${FILE_TOKEN}\n`, { mode: 0o600 });
  servers.alpha = await new Server(study('alpha'), ['--admin-token-file', tokenFile]).start();
  const beta = study('beta');
  beta.server.admin_token = TOKEN;
  servers.beta = await new Server(beta).start();

  const [https, http] = [await freePort(), await freePort()];
  site = `https://localhost:${https}`;
  writeFileSync(join(dir, 'Caddyfile'), `{
	admin off
	local_certs
	skip_install_trust
	auto_https disable_redirects
	http_port ${http}
	storage file_system ${join(dir, 'data')}
}
import ${SNIPPET}
localhost:${https} {
	import cohort_experiment alpha 127.0.0.1:${servers.alpha.port}
	import cohort_experiment beta 127.0.0.1:${servers.beta.port}
}
`);
  caddy = spawn('caddy', ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir } });
  caddy.stdout.on('data', (chunk) => { caddyLog += chunk; });
  caddy.stderr.on('data', (chunk) => { caddyLog += chunk; });
  const root = join(dir, 'data', 'pki', 'authorities', 'local', 'root.crt');
  const deadline = Date.now() + 20000;
  for (;;) {
    if (existsSync(root)) {
      ca = readFileSync(root);
      try {
        if ((await get('/e/beta/healthz')).status === 200) break;
      } catch { /* the site's certificate is not issued yet */ }
    }
    if (Date.now() > deadline || caddy.exitCode !== null) throw new Error(`caddy did not serve: ${caddyLog}`);
    await sleep(100);
  }
});

after(async () => {
  if (caddy && caddy.exitCode === null) {
    const exited = new Promise((r) => caddy.once('exit', r));
    caddy.kill('SIGTERM');
    await exited;
  }
  await Promise.all(Object.values(servers).map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

test('the example Caddyfile in deploy/ is one Caddy accepts', () => {
  const example = readFileSync(join(DEPLOY, 'Caddyfile'), 'utf8').replace('/etc/caddy/cohort-experiment.caddy', SNIPPET);
  writeFileSync(join(dir, 'Caddyfile.example'), example);
  const adapted = spawnSync('caddy', ['adapt', '--config', join(dir, 'Caddyfile.example'), '--adapter', 'caddyfile'],
    { encoding: 'utf8', env: { ...process.env, HOME: dir } });
  assert.equal(adapted.status, 0, adapted.stderr);
  const upstreams = [...adapted.stdout.matchAll(/"dial":"([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(upstreams.sort(), ['127.0.0.1:8081', '127.0.0.1:8082']);
});

test('each experiment answers on its own path, over wss with a certificate the client checks', async () => {
  for (const name of ['alpha', 'beta']) {
    const client = await connect(name, { localAddress: name === 'alpha' ? '127.0.0.5' : '127.0.0.6' });
    client.socket.emit('register_subject', { subject_id: `${name}-participant` });
    await eventually(client, 'registered');
    const scene = await eventually(client, 'activate_scene');
    assert.equal(scene.scene_id, `${name}-consent`, `${name}'s path reached ${name}'s server`);
    client.socket.close();
  }
  await assert.rejects(connect('alpha', { ca: undefined }), 'a client that does not trust Caddy\'s CA is refused');
});

test('the server sees the participant\'s address from Caddy, and no address a client claims', async () => {
  // Every connection reaches the server from Caddy's 127.0.0.1; with one socket per address,
  // two participants from two addresses both get in only if the server reads X-Forwarded-For.
  const first = await connect('alpha', { localAddress: '127.0.0.2' });
  const second = await connect('alpha', { localAddress: '127.0.0.3' });
  // A third from the first one's address cannot pass for someone else: Caddy replaces the
  // X-Forwarded-For the client sent with the address it came from.
  await assert.rejects(connect('alpha', { localAddress: '127.0.0.2', extraHeaders: { 'X-Forwarded-For': '198.51.100.7' } }),
    (error) => /websocket error/i.test(error.message));
  first.socket.close();
  second.socket.close();
  await sleep(200);
  const again = await connect('alpha', { localAddress: '127.0.0.2' });
  again.socket.close();
});

test('the study\'s own pages may open a socket through the proxy; a foreign page may not', async () => {
  const own = await connect('beta', { origin: site, localAddress: '127.0.0.7' });
  own.socket.close();
  await assert.rejects(connect('beta', { origin: 'https://games.example.net', localAddress: '127.0.0.8' }));
});

test('the admin endpoints answer through the proxy, with the token from the file', async () => {
  assert.equal((await get('/e/alpha/admin/state', FILE_TOKEN)).status, 200);
  assert.equal((await get('/e/alpha/admin/state', TOKEN)).status, 401, 'the file\'s token replaces the config\'s');
  const state = await get('/e/beta/admin/state', TOKEN);
  assert.equal(state.status, 200);
  assert.ok(!state.body.includes('alpha-participant'), 'beta\'s state holds only beta\'s subjects');
});

test('the dashboard signs in and goes live under the experiment\'s path, in chromium', async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] });
  try {
    // The socket tests check Caddy's certificate; here the page's paths and cookie are the point.
    const page = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
    const response = await page.goto(`${site}/e/alpha/admin`);
    assert.equal(response.status(), 401, 'the sign-in page, reached through the relative redirect');
    assert.equal(page.url(), `${site}/e/alpha/admin/`);
    await page.fill('#token', FILE_TOKEN);
    await Promise.all([page.waitForURL(`${site}/e/alpha/admin/`), page.click('button[type=submit]')]);
    await page.waitForFunction(() => document.querySelector('#live')?.textContent === 'live', null, { timeout: 10000 });
    const cookies = await page.context().cookies();
    assert.deepEqual(cookies.map((c) => c.path), ['/e/alpha/admin'], 'the session belongs to this experiment only');
    // A control through the proxy: its relative POST, CSRF token and Origin (the site's, as Caddy
    // passes the Host on) are taken.
    page.on('dialog', (dialog) => dialog.accept());
    await page.click('tr[data-scene="cramped_room"] button.close-waitroom');
    await page.waitForSelector('tr[data-scene="cramped_room"] .closed', { timeout: 5000 });
    assert.deepEqual(JSON.parse((await get('/e/alpha/admin/state', FILE_TOKEN)).body).closed_waitrooms, ['cramped_room']);
    assert.deepEqual(JSON.parse((await get('/e/beta/admin/state', TOKEN)).body).closed_waitrooms, []);
    const beta = await page.goto(`${site}/e/beta/admin/`);
    assert.equal(beta.status(), 401, 'alpha\'s session opens nothing of beta');
  } finally {
    await browser.close();
  }
});
