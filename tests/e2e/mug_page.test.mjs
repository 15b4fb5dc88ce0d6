// A study page served by cohort-server (server.static_dir, docs/mug.md): the HTTP rules on raw
// requests (a browser would normalise the paths), and a page of our own, shaped like mug's, in
// Debian's chromium (playwright-core): opened at /<subject_id>, it registers that id and plays
// mug's events to a game's start against a second participant (the stock socket.io client).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { Server, Client, TOKEN } from './harness.mjs';

const HERE = import.meta.dirname;
const site = mkdtempSync(join(tmpdir(), 'cohort-site-'));
mkdirSync(join(site, 'js'));
copyFileSync(join(HERE, 'study_page/index.html'), join(site, 'index.html'));
copyFileSync(join(HERE, 'study_page/study.js'), join(site, 'js/study.js'));
copyFileSync(resolve(HERE, 'node_modules/socket.io-client/dist/socket.io.min.js'), join(site, 'js/socket.io.min.js'));
mkdirSync(join(site, 'assets'));
writeFileSync(join(site, 'assets/.hidden'), 'hidden');
writeFileSync(join(tmpdir(), 'cohort-site-outside.txt'), 'outside the site');

const config = {
  experiment_id: 'study-page',
  resume: 'subject_id',
  server: { admin_token: TOKEN, static_dir: site },
  client: { pyodide_config: { needs_pyodide: false }, entry_screening: {} },
  scenes: [
    { scene_id: 'start', type: 'static', client: { scene_type: 'StartScene', scene_header: 'Welcome' } },
    { scene_id: 'game', type: 'game', human_seats: 2, countdown_ms: 500, reconnection_timeout_ms: 10000, p2p_validation: true,
      validation_timeout_ms: 15000, client: { scene_type: 'GymScene', scene_header: 'Play' } },
    { scene_id: 'end', type: 'static', client: { scene_type: 'EndScene' } },
  ],
};

let server, browser;
before(async () => {
  server = await new Server(config).start();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] });
});
after(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(site, { recursive: true, force: true });
  rmSync(join(tmpdir(), 'cohort-site-outside.txt'), { force: true });
});

// A GET with the path exactly as written.
function rawGet(path) {
  return new Promise((resolveGet, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => resolveGet({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('HTTP: the page for /<subject_id> and /?subject_id=, files with their type, nothing else', async () => {
  const page = await rawGet('/PROLIFIC_5f8a2b9c');
  assert.equal(page.status, 200);
  assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  assert.ok(page.body.includes('var subjectName = "PROLIFIC_5f8a2b9c";'));
  assert.ok((await rawGet('/?subject_id=abc-123')).body.includes('var subjectName = "abc-123";'));
  const script = await rawGet('/js/study.js');
  assert.equal(script.status, 200);
  assert.equal(script.headers['content-type'], 'text/javascript; charset=utf-8');
  // Markup or script in the id, traversal, hidden files, folders: 404, and nothing leaks.
  for (const path of ['/%22%3Balert(1)%2F%2F', '/%3Cscript%3Ealert(1)%3C%2Fscript%3E', '/?subject_id=%22%3E%3Cb%3E',
    '/../cohort-site-outside.txt', '/js/../../cohort-site-outside.txt', '/%2e%2e/cohort-site-outside.txt',
    '/js%2F..%2F..%2Fcohort-site-outside.txt', '/assets/.hidden', '/assets', '/assets/', '/js/', '/nope/x.js', '/']) {
    const answer = await rawGet(path);
    assert.equal(answer.status, 404, path);
    assert.equal(answer.body.includes('outside the site') || answer.body.includes('hidden') || answer.body.includes('subjectName'),
      false, path);
  }
  // The server's own paths keep their meaning; /admin/ still needs the token.
  assert.equal((await rawGet('/healthz')).status, 200);
  assert.equal((await rawGet('/admin/state')).status, 401);
  assert.equal((await rawGet('/admin/nothing')).status, 401);
});

// Waits until the text of `selector` satisfies `predicate` (a function of the text, run in the
// page); on a timeout the error says what the page shows.
async function showing(page, selector, predicate, arg = null) {
  try {
    await page.waitForFunction(([sel, body, a]) => new Function('text', 'arg', `return (${body})(text, arg)`)(
      document.querySelector(sel).textContent, a), [selector, predicate.toString(), arg], { timeout: 5000 });
  } catch (error) {
    const texts = await page.evaluate(() => ['#status', '#waitroomText'].map((s) => document.querySelector(s).textContent));
    const received = await page.evaluate(() => window.received);
    throw new Error(`${selector} never matched ${predicate}; the page shows ${JSON.stringify(texts)} after ${received}`);
  }
}

test('browser: a page served by Cohort registers the id from its URL and plays to start_game against a partner', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  const response = await page.goto(server.url + '/5f8a2b9c0d1e2f3a');
  assert.equal(response.status(), 200);
  await showing(page, '#status', (t) => t === 'scene StartScene');
  assert.equal(await page.textContent('#sceneHeader'), 'Welcome');
  assert.deepEqual(await page.evaluate(() => window.experimentConfig), config.client);
  await page.click('#advanceButton');
  await showing(page, '#status', (t) => t === 'scene GymScene');
  await page.click('#startButton');
  await showing(page, '#waitroomText', (t) => t.startsWith('1 waiting, 1 more needed'));

  const partner = await new Client(server.url, 'partner').connected();
  partner.emit('register_subject', { subject_id: 'partner-7c1d', mugGlobals: {} });
  await partner.waitFor('activate_scene');
  partner.emit('advance_scene', {});
  await partner.waitFor('activate_scene', (s) => s.scene_type === 'GymScene');
  partner.emit('join_game', {});
  const assigned = await partner.waitFor('pyodide_player_assigned');
  await partner.waitFor('pyodide_game_ready');
  partner.emit('p2p_validation_success', { game_id: assigned.game_id, player_id: assigned.player_id });
  const start = await partner.waitFor('start_game', () => true, 5000);
  await showing(page, '#status', (t, game) => t === `playing game ${game} as player 0 in GymScene`, start.game_id);
  const state = await server.state();
  assert.equal(state.subjects['5f8a2b9c0d1e2f3a'].game_id, start.game_id);
  assert.equal(state.subjects['partner-7c1d'].game_id, start.game_id);
  assert.equal(state.games[start.game_id].status, 'playing');
  assert.deepEqual(errors, []);

  // A refresh of the page: same id, no token; under resume "subject_id" it is back in its game.
  await page.reload();
  await showing(page, '#status', (t, game) => t.startsWith(`playing game ${game} `), start.game_id);
  assert.equal((await server.state()).games[start.game_id].status, 'playing');
  partner.close();
  await context.close();
});
