// The dashboard with many participants connected: N socket.io clients register and pair up
// into 2-seat games, then the page is opened in chromium and watched while pairs keep leaving
// and rejoining (20 participants every quarter second). Prints key=value lines: update interval and render time on the page,
// the size of one update, the time to build one on the server, and a timeline's load time.
// Usage (the npm packages are tests/e2e's):
//   node tests/bench/dashboard_load.mjs [participants=5000] [seconds=20]
import { chromium } from '../e2e/node_modules/playwright-core/index.mjs';
import { Server, TOKEN, Client, sleep } from '../e2e/harness.mjs';
import { experiment, gameScene } from '../e2e/harness.mjs';

const participants = Number(process.argv[2] || 5000);
const seconds = Number(process.argv[3] || 20);
const percentile = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

const server = await new Server(experiment(gameScene({ waitroom_timeout_ms: 0 }))).start();
const clients = [];
// Connect, register and join in batches of 250; pairs form as they come.
for (let i = 0; i < participants; i += 250) {
  const batch = [];
  for (let j = i; j < Math.min(participants, i + 250); ++j) {
    batch.push((async () => {
      const c = await new Client(server.url, `p${j}`).connected();
      c.emit('register_subject', { subject_id: `p${j}` });
      await c.waitFor('registered', () => true, 30000);
      c.emit('advance_scene', {});
      await c.waitFor('activate_scene', (p) => p.type === 'game', 30000);
      c.emit('join_game', {});
      return c;
    })());
  }
  clients.push(...await Promise.all(batch));
}
await sleep(2000);
const state = await server.state();
console.log(`participants=${participants} connected_subjects=${Object.keys(state.subjects).length} live_games=${Object.keys(state.games).length}`);

// One update built on the server, timed from outside.
const builds = [];
for (let i = 0; i < 20; ++i) {
  const t = performance.now();
  const body = (await server.get('/admin/dashboard')).body;
  builds.push(performance.now() - t);
  if (i === 0) console.log(`update_bytes=${body.length}`);
}
console.log(`dashboard_json_ms_p50=${percentile(builds, 0.5).toFixed(2)} dashboard_json_ms_max=${Math.max(...builds).toFixed(2)}`);

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] });
const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, extraHTTPHeaders: { Authorization: `Bearer ${TOKEN}` } });
const page = await context.newPage();
await page.goto(server.url + '/admin/');
await page.waitForFunction(() => document.querySelector('#live')?.textContent === 'live', null, { timeout: 10000 });
await page.evaluate(() => {
  window.benchRenders = []; window.benchArrivals = [];
  const original = window.render;
  window.render = (update) => {
    const t = performance.now();
    original(update);
    window.benchRenders.push(performance.now() - t);
    window.benchArrivals.push(t);
  };
});
// Churn while watching: pairs leave and rejoin, so commits keep coming.
const churn = setInterval(() => {
  for (let k = 0; k < 20; ++k) {
    const c = clients[Math.floor(Math.random() * clients.length)];
    c.emit('leave_game', {});
    setTimeout(() => c.emit('join_game', {}), 200);
  }
}, 250);
await sleep(seconds * 1000);
clearInterval(churn);
const { renders, arrivals } = await page.evaluate(() => ({ renders: window.benchRenders, arrivals: window.benchArrivals }));
const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]);
console.log(`updates=${renders.length} in_s=${seconds} update_gap_ms_p50=${percentile(gaps, 0.5).toFixed(0)} update_gap_ms_max=${Math.max(...gaps).toFixed(0)}`);
console.log(`render_ms_p50=${percentile(renders, 0.5).toFixed(1)} render_ms_p99=${percentile(renders, 0.99).toFixed(1)} render_ms_max=${Math.max(...renders).toFixed(1)}`);

// A click on the oldest game: the time until its timeline is drawn (a full scan of the log).
const t = performance.now();
await page.click('#games tr[data-game]');
await page.waitForSelector('#timeline svg', { timeout: 30000 });
const records = (await server.get('/healthz')).body;
console.log(`timeline_ms=${(performance.now() - t).toFixed(0)} log=${records}`);

await browser.close();
for (const c of clients) c.close();
await server.stop();
