// The researcher's dashboard in a real browser (Debian's chromium, driven by playwright-core)
// against a server with a scripted study: sign in, watch the waiting count and a game come and
// go, open its timeline, download the sessions CSV, and use the controls (end a game, close a
// waiting room, exclude a participant, cap the sign-ups) that the participants' clients obey. Saves screenshots of the page at rest and
// with a timeline open in $COHORT_ARTIFACTS (default: build/artifacts).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { Client, SERVER, Server, TOKEN, experiment, gameScene, participant, toGameScene, startedPair } from './harness.mjs';

const ARTIFACTS = process.env.COHORT_ARTIFACTS || resolve(import.meta.dirname, '../../build/artifacts');
const REPLAY = process.env.COHORT_REPLAY || join(dirname(SERVER), 'cohort-replay');
// The promise is an update within a second of a commit; a sanitizer build runs several times slower.
const UPDATE_BOUND_MS = process.env.COHORT_SANITIZER ? 3000 : 1000;
// How long the controls' tests wait for the page to show a committed change: a bound, not a promise.
const SHOWN_MS = 5000;
let server, browser;

before(async () => {
  // The loopback is a trusted proxy here, so that wrong tokens can come from addresses of their
  // own (X-Forwarded-For): five in a minute from one address and it is answered 429.
  server = await new Server(experiment(gameScene(), { trusted_proxies: ['127.0.0.1'] })).start();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] });
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

// The text of an element once `predicate` holds for it, within `timeout` ms.
async function textWhen(page, selector, predicate, timeout = 5000) {
  const handle = await page.waitForFunction(([sel, body]) => {
    const element = document.querySelector(sel);
    const text = element ? element.textContent : null;
    return new Function('text', `return (${body})(text)`)(text) ? text : false;
  }, [selector, predicate.toString()], { timeout });
  return handle.jsonValue();
}

async function signedInPage() {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  const page = await context.newPage();
  const response = await page.goto(server.url + '/admin/');
  assert.equal(response.status(), 401, 'the page itself needs the token');
  await page.fill('#token', TOKEN);
  await Promise.all([page.waitForURL(server.url + '/admin/'), page.click('button[type=submit]')]);
  await textWhen(page, '#live', (t) => t === 'live');
  return page;
}

test('without the token: 401 everywhere under /admin/, and a wrong token is refused', async () => {
  const paths = ['/admin/', '/admin/app.js', '/admin/events', '/admin/dashboard', '/admin/timeline?game=1',
    '/admin/state', '/admin/export/sessions'];
  for (const [i, path] of paths.entries()) {
    assert.equal((await server.get(path, null)).status, 401, path);
    const wrong = await fetch(server.url + path, {
      headers: { Authorization: 'Bearer not-the-token', 'X-Forwarded-For': `198.51.100.${i + 1}` },
    });
    assert.equal(wrong.status, 401, path);
  }
  // Relative, so that it holds behind a proxy's path prefix; and it needs no token.
  const bare = await fetch(server.url + '/admin', { redirect: 'manual' });
  assert.equal(bare.status, 301);
  assert.equal(bare.headers.get('location'), 'admin/');
  const page = await (await browser.newContext()).newPage();
  await page.goto(server.url + '/admin/');
  await page.fill('#token', 'not-the-token');
  const [response] = await Promise.all([page.waitForResponse('**/admin/login'), page.click('button[type=submit]')]);
  assert.equal(response.status(), 401);
  assert.match(await page.textContent('.message'), /not this server's admin token/);
  const cookies = await page.context().cookies();
  assert.equal(cookies.length, 0, 'no cookie after a refused login');
});

test('live: waiting count, a game appearing and ending, its timeline, the CSV', async () => {
  const page = await signedInPage();
  const waiting = 'tr[data-scene="cramped_room"] .waiting';
  assert.equal(await textWhen(page, waiting, (t) => t !== null), '0');
  assert.equal(await page.textContent('#experiment'), 'e2e');

  // One waiter: the page shows it within a second of the commit that the client's answer follows.
  const alice = await participant(server, 'dash-alice');
  await toGameScene(alice);
  alice.emit('join_game', {});
  await alice.waitFor('waiting_room');
  const seen = Date.now();
  await textWhen(page, waiting, (t) => t === '1', UPDATE_BOUND_MS);
  console.log(`waiting count on the page ${Date.now() - seen} ms after the client was told`);

  // A partner: the game appears, playing, with both players; the waitroom empties.
  const bob = await participant(server, 'dash-bob');
  await toGameScene(bob);
  bob.emit('join_game', {});
  const { game_id: game } = await alice.waitFor('start_game');
  const row = `#games tr[data-game="${game}"]`;
  await page.waitForSelector(row, { timeout: 2000 });
  assert.match(await page.textContent(row), /playing.*dash-alice, dash-bob/s);
  assert.equal(await textWhen(page, waiting, (t) => t === '0'), '0');

  // Alice leaves: the game leaves the live list and is listed as ended, partner_left.
  alice.emit('leave_game', {});
  await bob.waitFor('end_game');
  await page.waitForSelector(row, { state: 'detached', timeout: 2000 });
  const ended = `#ended tr[data-ended-game="${game}"]`;
  await page.waitForSelector(ended, { timeout: 2000 });
  assert.equal(await page.textContent(`${ended} .reason`), 'partner_left');
  assert.match(await page.textContent('#ended-counts'), /partner_left 1/);

  // Its timeline: one lane per player, the end with its reason.
  await page.click(ended);
  await page.waitForSelector('#timeline svg', { timeout: 5000 });
  const lanes = await page.$$eval('#timeline svg text.lane-name', (texts) => texts.map((t) => t.textContent));
  assert.deepEqual(lanes, ['player 0 · dash-alice', 'player 1 · dash-bob']);
  const ends = await page.$$eval('#timeline svg text.label.end', (texts) => texts.map((t) => t.textContent));
  assert.deepEqual(ends, ['end: partner_left', 'end: partner_left']);
  assert.ok(await page.$('#timeline svg g.mark.join'), 'the joins are drawn');
  assert.ok(await page.$('#timeline svg g.mark.start'), 'the start is drawn');
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-timeline.png'), fullPage: true, timeout: 10000 });

  // A subject's timeline from its name.
  await page.click(`${ended} a.subject[data-subject="dash-bob"]`);
  await textWhen(page, '#timeline svg text.title', (t) => t && t.startsWith('subject dash-bob'));

  // The sessions export, downloaded from the page.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
  const csv = readFileSync(await download.path(), 'utf8').trim().split('\r\n');
  assert.match(csv[0], /^game_id,scene_id,subject_id/);
  const rows = csv.slice(1).filter((line) => line.startsWith(`${game},`));
  assert.equal(rows.length, 2);
  for (const line of rows) assert.match(line, /partner_left/);

  // At rest, with a game running: the screenshot for docs/dashboard.md.
  const [carol, dan] = await startedPair(server, 'dash-carol', 'dash-dan');
  await page.waitForSelector('#games tr[data-game]', { timeout: 2000 });
  await page.click('#timeline-close');
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true, timeout: 10000 });
  assert.equal((await server.audit()).ok, true);
  for (const client of [alice, bob, carol, dan]) client.close();
});

test('a timeline of an unknown game says so; a subject id is decoded from the query', async () => {
  const unknown = await server.get('/admin/timeline?game=99999');
  assert.equal(unknown.status, 404);
  assert.equal(JSON.parse(unknown.body).code, 'unknown_game');
  assert.equal(JSON.parse((await server.get('/admin/timeline?subject=no%20one')).body).message, 'no subject no one in the log');
  assert.equal((await server.get('/admin/timeline?game=1x')).status, 400);
  assert.equal((await server.get('/admin/timeline')).status, 400);
});

// The researcher's controls (docs/dashboard.md, "Controlling the study"): the POSTs' CSRF rules,
// then each button in the page, with what the participants' stock clients are told and what the
// log holds.
test('controls: a cookie POST needs the page\'s CSRF token and this site\'s Origin; a Bearer script needs neither', async () => {
  const page = await signedInPage();
  const csrf = await page.getAttribute('meta[name="cohort-csrf"]', 'content');
  assert.match(csrf, /^[0-9a-f]{64}$/);
  const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  const post = (headers, body = { scene_id: 'cramped_room' }) => fetch(server.url + '/admin/actions/close-waitroom', {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body),
  });
  const refused = async (response) => {
    assert.equal(response.status, 403);
    assert.equal((await response.json()).code, 'csrf_refused');
  };
  await refused(await post({ Cookie: cookie }));
  await refused(await post({ Cookie: cookie, 'X-Cohort-CSRF': 'f'.repeat(64) }));
  await refused(await post({ Cookie: cookie, 'X-Cohort-CSRF': csrf, Origin: 'http://evil.example' }));
  assert.deepEqual((await server.state()).closed_waitrooms, [], 'a refused POST changes nothing');
  assert.equal((await post({ Authorization: 'Bearer wrong-token-000000' })).status, 401);
  // With the token, from this site: the waitroom closes; a script with the Bearer token opens it.
  const closed = await post({ Cookie: cookie, 'X-Cohort-CSRF': csrf, Origin: server.url });
  assert.equal(closed.status, 200);
  assert.equal((await closed.json()).ok, true);
  assert.deepEqual((await server.state()).closed_waitrooms, ['cramped_room']);
  const again = await post({ Cookie: cookie, 'X-Cohort-CSRF': csrf });
  assert.equal(again.status, 409, 'closing a closed waitroom is the engine\'s refusal');
  assert.equal((await again.json()).code, 'invalid_state');
  const opened = await fetch(server.url + '/admin/actions/open-waitroom', {
    method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ scene_id: 'cramped_room' }),
  });
  assert.equal(opened.status, 200);
  assert.deepEqual((await server.state()).closed_waitrooms, []);
  // Bad input is refused before the engine, unknown ids by it.
  const bearer = (action, body) => fetch(server.url + '/admin/actions/' + action, {
    method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` }, body,
  });
  assert.equal((await bearer('end-game', '{"game_id":"1x"}')).status, 400);
  assert.equal((await bearer('end-game', 'not json')).status, 400);
  assert.equal((await bearer('max-participants', '{}')).status, 400);
  assert.equal((await bearer('no-such-action', '{}')).status, 404);
  const unknown = await bearer('end-game', '{"game_id":99999}');
  assert.equal(unknown.status, 404);
  assert.equal((await unknown.json()).code, 'unknown_game');
  assert.equal((await bearer('exclude-subject', '{"subject_id":"nobody-at-all"}')).status, 404);
  assert.equal((await server.get('/admin/actions/end-game')).status, 404, 'GET acts on nothing');
  await page.context().close();
});

test('the sign-in form and the dashboard may not be framed by another site\'s page (clickjacking)', async () => {
  const framing = (response) => [response.headers.get('x-frame-options'), response.headers.get('content-security-policy')];
  const refusal = ['DENY', "frame-ancestors 'none'"];
  assert.deepEqual(framing(await fetch(server.url + '/admin/')), refusal, 'the sign-in form');
  const wrong = await fetch(server.url + '/admin/login', {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Forwarded-For': '198.51.100.77' },
    body: 'token=not-the-token',
  });
  assert.equal(wrong.status, 401);
  assert.deepEqual(framing(wrong), refusal, 'the form shown again');
  const page = await fetch(server.url + '/admin/', { headers: { Authorization: `Bearer ${TOKEN}` } });
  assert.equal(page.status, 200);
  assert.deepEqual(framing(page), refusal, 'the dashboard, whose buttons act');
  // In the browser: a page of another site (localhost is not 127.0.0.1) framing /admin/ shows
  // neither the dashboard nor the sign-in form in its frame.
  const signed = await signedInPage();
  const other = server.url.replace('127.0.0.1', 'localhost');
  await signed.route(other + '/framing', (route) => route.fulfill({
    contentType: 'text/html', body: `<iframe src="${server.url}/admin/"></iframe>`,
  }));
  await signed.goto(other + '/framing', { waitUntil: 'load' });  // the frame's load included
  const framed = signed.frames().find((frame) => frame !== signed.mainFrame());
  assert.equal(await framed.$('#exclude-button, #token'), null, 'the frame shows a page of /admin/');
  await signed.context().close();
});

test('controls: an exclusion names the subject exactly as typed: " ctl-pad" is another participant than "ctl-pad"', async () => {
  const page = await signedInPage();
  const asked = [];
  page.on('dialog', (dialog) => { asked.push(dialog.message()); dialog.accept(); });
  const padded = await participant(server, ' ctl-pad');
  const plain = await participant(server, 'ctl-pad');
  await page.fill('#exclude-subject', ' ctl-pad');
  await page.click('#exclude-button');
  assert.equal((await padded.waitFor('excluded')).message, 'The researcher has ended your participation in this study.');
  assert.match(await textWhen(page, '#action-result', (t) => t && t !== 'sending…'), /^exclude-subject: done/);
  assert.match(asked.at(-1), /Exclude " ctl-pad"/, 'the question shows the id as it will be sent');
  const subjects = (await server.state()).subjects;
  assert.equal(subjects[' ctl-pad'].state, 'done');
  assert.notEqual(subjects['ctl-pad'].state, 'done', 'the other participant is still in the study');
  assert.equal(plain.names().includes('excluded'), false);
  // The timeline search is exact too: the padded id opens the padded subject's timeline.
  await page.fill('#find-id', ' ctl-pad');
  await page.click('#find button');
  await textWhen(page, '#timeline-title', (t) => t === 'subject  ctl-pad');
  for (const client of [padded, plain]) client.close();
  await page.context().close();
});

test('controls: a page whose session was replaced by a new sign-in says to reload it, and changes nothing', async () => {
  const page = await signedInPage();
  // The same browser signs in again (another tab, say): its cookie now names a new session.
  const again = await page.context().request.post(server.url + '/admin/login', { form: { token: TOKEN }, maxRedirects: 0 });
  assert.equal(again.status(), 303);
  const before = (await server.state()).max_participants;
  await page.click('#cap-lift');
  assert.match(await textWhen(page, '#action-result', (t) => t && t !== 'sending…'), /^max-participants: not done: .*reload the page$/);
  assert.equal((await server.state()).max_participants, before);
  await page.context().close();
});

test('controls: end a game, close and reopen a waiting room, exclude a waiter, cap the participants', async () => {
  const page = await signedInPage();
  const asked = [];
  page.on('dialog', (dialog) => { asked.push(dialog.message()); dialog.accept(); });
  const result = () => textWhen(page, '#action-result', (t) => t && t !== 'sending…');

  // End game: both players are told, and the log holds the researcher's command.
  const [amy, ben, game] = await startedPair(server, 'ctl-amy', 'ctl-ben');
  await page.click(`#games button[data-end-game="${game}"]`);
  for (const player of [amy, ben]) {
    const end = await player.waitFor('end_game');
    assert.equal(end.reason, 'admin_ended');
    assert.equal(end.game_id, game);
  }
  assert.match(asked.at(-1), new RegExp(`End game ${game}`));
  assert.match(await result(), /^end-game: done/);
  await page.waitForSelector(`#ended tr[data-ended-game="${game}"]`, { timeout: SHOWN_MS });
  const trace = execFileSync(REPLAY, ['trace', server.db, '--game', String(game)]).toString();
  assert.match(trace, /admin_end_game[^\n]*actor=admin/);
  // And from a live game's timeline.
  const [dot, eli, other] = await startedPair(server, 'ctl-dot', 'ctl-eli');
  await page.click(`#games tr[data-game="${other}"] td:first-child`);
  await page.click('#timeline-end-game');
  for (const player of [dot, eli]) assert.equal((await player.waitFor('end_game')).reason, 'admin_ended');

  // Close the waiting room: a join is refused; reopen it: the join is taken.
  const scene = 'tr[data-scene="cramped_room"]';
  await page.click(`${scene} button.close-waitroom`);
  await page.waitForSelector(`${scene} .closed`, { timeout: SHOWN_MS });
  const cal = await participant(server, 'ctl-cal');
  await toGameScene(cal);
  cal.emit('join_game', {});
  const refused = await cal.waitFor('error', (e) => e.code === 'waitroom_closed');
  assert.match(refused.message, /closed/);
  await page.click(`${scene} button.reopen-waitroom`);
  await page.waitForSelector(`${scene} button.close-waitroom`, { timeout: SHOWN_MS });
  cal.emit('join_game', {});
  await cal.waitFor('waiting_room');

  // Exclude the waiter, with a message: they see it, and the waiting room empties.
  await page.fill('#exclude-subject', 'ctl-cal');
  await page.fill('#exclude-message', 'Thank you, we have enough data from you.');
  await page.click('#exclude-button');
  assert.equal((await cal.waitFor('excluded')).message, 'Thank you, we have enough data from you.');
  await cal.waitFor('experiment_complete');
  assert.match(asked.at(-1), /Exclude "ctl-cal"/);
  assert.equal(await textWhen(page, `${scene} .waiting`, (t) => t === '0'), '0');

  // Cap the participants at those registered: a new one is answered study_full, a known one is not.
  const registered = JSON.parse((await server.get('/admin/dashboard')).body).study.subjects.total;
  await page.fill('#cap-value', String(registered));
  await page.click('#cap-set');
  await page.waitForFunction((cap) => document.querySelector('#cap-now').textContent.endsWith(`cap ${cap}`), registered,
    { timeout: SHOWN_MS });
  const late = await new Client(server.url, 'ctl-late').connected();
  late.emit('register_subject', { subject_id: 'ctl-late' });
  assert.match((await late.waitFor('study_full')).message, /full/);
  assert.equal((await late.waitFor('error')).code, 'study_full');
  const back = await participant(server, 'ctl-amy', amy.token);
  await page.click('#cap-lift');
  await textWhen(page, '#cap-now', (t) => t && t.includes('no cap'));

  // Each action is on the record with the researcher as its actor.
  const admin = execFileSync(REPLAY, ['trace', server.db, '--admin']).toString();
  for (const command of ['admin_end_game', 'admin_close_waitroom', 'admin_open_waitroom', 'admin_exclude_subject',
    'admin_set_max_participants']) {
    assert.match(admin, new RegExp(`${command}[^\\n]*actor=admin`), command);
  }
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-controls.png'), fullPage: true, timeout: 10000 });
  assert.equal((await server.audit()).ok, true);
  for (const client of [amy, ben, dot, eli, cal, late, back]) client.close();
  await page.context().close();
});
