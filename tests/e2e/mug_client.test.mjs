// mug's browser client's sequences, event for event, as its code (chasemcd/mug b46a1b0,
// mug/server/static/js/index.js and pyodide_multiplayer_game.js) sends them and in the order
// it sends them, played by the stock socket.io client; every field that client reads is
// checked. The config carries mug's content in its `client` objects (docs/server.md).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, Client, TOKEN, sleep } from './harness.mjs';

const EXPERIMENT_CLIENT = {
  pyodide_config: { needs_pyodide: false, packages_to_install: [] },
  entry_screening: { device_exclusion: null, browser_requirements: [], max_ping: null, has_entry_callback: false },
  max_latency: 400,
};
const START_CLIENT = {
  scene_type: 'StartScene', scene_header: 'Welcome', scene_body: '<p>Read this first.</p>', element_ids: ['consent_box'],
};
const GAME_CLIENT = {
  scene_type: 'GymScene', run_through_pyodide: true, pyodide_multiplayer: true, num_episodes: 1, fps: 10,
  game_width: 600, game_height: 400, environment_initialization_code: 'import env\nenv = env.make()',
  packages_to_install: [], in_game_scene_body: '<p>Play!</p>', input_mode: 'pressed_keys',
  waitroom_timeout_message: 'Nobody came.', hide_lobby_count: false,
};
const END_CLIENT = { scene_type: 'CompletionCodeScene', scene_header: 'Thank you' };

function mugConfig(gameOverrides = {}) {
  return {
    experiment_id: 'mug-e2e',
    server: { admin_token: TOKEN },
    client: EXPERIMENT_CLIENT,
    scenes: [
      { scene_id: 'start', type: 'static', client: START_CLIENT },
      { scene_id: 'cramped_room', type: 'game', human_seats: 2, countdown_ms: 2000, waitroom_timeout_ms: 0,
        reconnection_timeout_ms: 1500, client: GAME_CLIENT, ...gameOverrides },
      { scene_id: 'end', type: 'static', client: END_CLIENT },
    ],
  };
}

const servers = [];
async function server(config = mugConfig()) {
  const s = await new Server(config).start();
  servers.push(s);
  return s;
}
after(async () => { for (const s of servers) await s.stop(); });

// What mug's page does on `connect`: register with its subject id and globals, no token.
async function mugPage(s, subjectId) {
  const page = await new Client(s.url, subjectId).connected();
  page.emit('register_subject', { subject_id: subjectId, mugGlobals: {} });
  await page.waitFor('activate_scene');
  return page;
}

function sceneContent(index) {
  const ids = ['start', 'cramped_room', 'end'];
  const types = ['static', 'game', 'static'];
  const clients = [START_CLIENT, GAME_CLIENT, END_CLIENT];
  return { ...clients[index], scene_id: ids[index], scene_index: index, type: types[index] };
}

const after_ = (client, mark, event, match) => client.waitFor(event, match, 5000, mark);

async function metric(s, line) {
  const text = (await s.get('/metrics')).body;
  const found = text.split('\n').find((l) => l.startsWith(line + ' '));
  return found ? Number(found.split(' ')[1]) : 0;
}

async function lastSeq(s) { return JSON.parse((await s.get('/healthz')).body).last_seq; }

// Two pages through the start scene into the game scene, the first waiting; resolves when the
// second has sent its join_game, with the moment it did (performance.now()).
async function joinedPair(s, a, b) {
  const pages = [await mugPage(s, a), await mugPage(s, b)];
  for (const page of pages) {
    const mark = page.events.length;
    page.emit('advance_scene', { session_id: 'mug-session' });
    await after_(page, mark, 'activate_scene', (p) => p.scene_id === 'cramped_room');
  }
  pages[0].emit('join_game', { session_id: 'mug-session' });
  await pages[0].waitFor('waiting_room');
  const joinedAt = performance.now();
  pages[1].emit('join_game', { session_id: 'mug-session' });
  return [...pages, joinedAt];
}

// Two pages matched; resolves once both have start_game.
async function matchedPair(s, a = 'mug-a', b = 'mug-b') {
  const pages = (await joinedPair(s, a, b)).slice(0, 2);
  const started = [];
  for (const page of pages) started.push(await page.waitFor('start_game', () => true, 8000));
  return [...pages, started[0].game_id];
}

test('register: registered, experiment_config from the config, then activate_scene with the scene content', async () => {
  const s = await server();
  const page = await mugPage(s, 'reg-1');
  assert.deepEqual(page.names(), ['registered', 'experiment_config', 'activate_scene']);
  assert.deepEqual(await page.waitFor('experiment_config'), EXPERIMENT_CLIENT);
  const scene = await page.waitFor('activate_scene');
  assert.equal(scene.scene_type, 'StartScene');
  assert.deepEqual(scene, sceneContent(0));
  page.close();
});

test('ping: the first without ping_ms is answered pong {max_latency, min_ping_measurements}', async () => {
  const s = await server();
  const page = await mugPage(s, 'ping-1');
  // index.js sendPing(): curLatency is undefined until the first pong, so ping_ms is absent.
  page.emit('ping', { ping_ms: undefined, document_in_focus: false });
  assert.deepEqual(await page.waitFor('pong'), { max_latency: 400, min_ping_measurements: 5 });
  const mark = page.events.length;
  page.emit('ping', { ping_ms: 23, document_in_focus: true });
  await after_(page, mark, 'pong');
  assert.equal(page.names().includes('error'), false, JSON.stringify(page.events));
  // The measured RTT is kept for matchmaking.
  const state = await s.state();
  assert.equal(state.subjects['ping-1'].state, 'idle');
  page.close();
});

test('loading gate and entry screening: request_current_scene, execute_entry_callback', async () => {
  const s = await server();
  const page = await mugPage(s, 'gate-1');
  let mark = page.events.length;
  page.emit('request_current_scene', {});
  assert.deepEqual(await after_(page, mark, 'activate_scene'), sceneContent(0));
  mark = page.events.length;
  page.emit('execute_entry_callback', {
    session_id: 'mug-session', scene_id: 'start',
    context: { ping: 0, browser_name: 'Chrome', browser_version: '120', device_type: 'desktop', os_name: 'Linux', os_version: 'x' },
  });
  assert.deepEqual(await after_(page, mark, 'entry_callback_result'), { exclude: false, message: null });
  mark = page.events.length;
  page.emit('execute_continuous_callback', { session_id: 'mug-session', scene_id: 'start', context: { ping: 20 } });
  assert.deepEqual(await after_(page, mark, 'continuous_callback_result'), { exclude: false, warn: false, message: null });
  // A subject at the last scene asks for its scene too, and gets the last scene.
  page.emit('advance_scene', {});
  page.emit('advance_scene', {});
  await page.waitFor('experiment_complete');
  mark = page.events.length;
  page.emit('request_current_scene', {});
  assert.deepEqual(await after_(page, mark, 'activate_scene'), sceneContent(2));
  assert.equal(page.names().includes('error'), false, JSON.stringify(page.events));
  page.close();
});

test('advance: terminate_scene with the scene left, then activate_scene with the next', async () => {
  const s = await server();
  const page = await mugPage(s, 'adv-1');
  const mark = page.events.length;
  page.emit('advance_scene', { session_id: 'mug-session' });
  const next = await after_(page, mark, 'activate_scene');
  const names = page.names().slice(mark);
  assert.deepEqual(names, ['terminate_scene', 'activate_scene']);
  const terminated = page.events[mark].payload;
  assert.deepEqual(terminated, sceneContent(0));
  assert.equal(terminated.scene_type, 'StartScene');
  assert.deepEqual(terminated.element_ids, ['consent_box']);
  assert.deepEqual(next, sceneContent(1));
  page.close();
});

test('match: waiting_room with ms_remaining, countdown in seconds, assignment, ready and start with scene_metadata', async () => {
  const s = await server();
  const [a, b, game] = await matchedPair(s, 'match-a', 'match-b');
  const room = await a.waitFor('waiting_room');
  assert.equal(room.cur_num_players, 1);
  assert.equal(room.players_needed, 1);
  assert.equal(typeof room.ms_remaining, 'number', 'a scene without a waitroom timeout still has ms_remaining');
  assert.ok(room.ms_remaining > 60 * 60 * 1000, 'and it does not run out');
  assert.equal(room.waitroom_timeout_message, 'Nobody came.');
  assert.equal(room.hide_lobby_count, false);
  for (const [page, playerId] of [[a, 0], [b, 1]]) {
    const countdown = await page.waitFor('match_found_countdown');
    assert.equal(countdown.countdown_seconds, 2);
    assert.equal(countdown.game_id, game);
    const assigned = await page.waitFor('pyodide_player_assigned');
    assert.equal(assigned.player_id, playerId);
    assert.equal(assigned.game_id, game);
    assert.equal(typeof assigned.game_seed, 'number');
    const ready = await page.waitFor('pyodide_game_ready');
    assert.deepEqual(ready.players, [0, 1]);
    assert.deepEqual(ready.player_subjects, { 0: 'match-a', 1: 'match-b' });
    assert.deepEqual(ready.scene_metadata, sceneContent(1));
    assert.equal(ready.turn_config, null);
    const start = await page.waitFor('start_game');
    assert.equal(start.game_id, game);
    assert.deepEqual(start.scene_metadata, sceneContent(1));
    assert.equal(start.scene_metadata.in_game_scene_body, '<p>Play!</p>');
    const order = page.names().filter((n) => ['match_found_countdown', 'pyodide_player_assigned', 'pyodide_game_ready', 'start_game'].includes(n));
    assert.deepEqual(order, ['match_found_countdown', 'pyodide_player_assigned', 'pyodide_game_ready', 'start_game']);
    assert.equal(page.names().includes('error'), false, JSON.stringify(page.events));
  }
  a.close(); b.close();
});

test('relays: actions, state sync to the others, state request and response to their target, validation status to all', async () => {
  const s = await server(mugConfig({ countdown_ms: 0 }));
  const [a, b, game] = await matchedPair(s, 'rel-a', 'rel-b');
  // pyodide_player_action as pmg.js sends it, with its own extra fields.
  a.emit('pyodide_player_action', { game_id: game, player_id: 0, action: 3, frame_number: 40, timestamp: Date.now(), sync_epoch: 1 });
  assert.deepEqual(await b.waitFor('pyodide_other_player_action'), { player_id: 0, action: 3, frame_number: 40 });
  const sync = { game_id: game, sender_id: 0, frame_number: 40, state_hash: 'a1b2c3d4e5', action_counts: { 0: { 3: 1 } } };
  a.emit('p2p_state_sync', sync);
  assert.deepEqual(await b.waitFor('p2p_state_sync'), sync);
  // b sees a mismatch and asks a (the lower id defers: pmg.js _shouldRequestStateResync).
  const request = { game_id: game, requester_id: 1, target_id: 0, frame_number: 40 };
  b.emit('p2p_state_request', request);
  assert.deepEqual(await a.waitFor('p2p_state_request'), request);
  const response = { game_id: game, sender_id: 0, target_id: 1, frame_number: 41, step_num: 41,
    env_state: { grid: [[0, 1], [1, 0]], t: 41 }, cumulative_rewards: { 0: 2, 1: 3 } };
  a.emit('p2p_state_response', response);
  assert.deepEqual(await b.waitFor('p2p_state_response'), response);
  a.emit('p2p_validation_status', { game_id: game, status: 'validating' });
  for (const page of [a, b]) assert.deepEqual(await page.waitFor('p2p_validation_status'), { status: 'validating' });
  await sleep(100);
  assert.equal(a.names().includes('p2p_state_sync'), false, 'a state sync is not echoed to its sender');
  assert.equal(b.names().includes('p2p_state_request'), false, 'a request goes to its target only');
  assert.equal(a.names().includes('p2p_state_response'), false, 'a response goes to its target only');
  for (const page of [a, b]) assert.equal(page.names().includes('error'), false, JSON.stringify(page.events));
  // None of it is in the log: relays are counted, not journaled.
  assert.ok(await metric(s, 'cohort_relayed_messages_total') >= 5);
  // A state sync for a game the sender is not in is refused on its socket.
  const mark = a.events.length;
  a.emit('p2p_state_sync', { ...sync, game_id: game + 100 });
  const error = await after_(a, mark, 'error');
  assert.deepEqual(error.code, 'not_in_game');
  assert.equal(error.event, 'p2p_state_sync');
  a.close(); b.close();
});

test('metrics as mug sends them: the game inside metrics.gameId', async () => {
  const s = await server(mugConfig({ countdown_ms: 0 }));
  const [a, b, game] = await matchedPair(s, 'met-a', 'met-b');
  const metrics = { gameId: String(game), playerId: 0, validation: { totalEpisodes: 1 }, sessionStatus: { isPartial: false } };
  assert.deepEqual(await a.call('emit_multiplayer_metrics', { scene_id: 'cramped_room', metrics }), { status: 'ok' });
  a.close(); b.close();
});

test('telemetry is accepted and dropped: no error, no record, counted per event in /metrics', async () => {
  const s = await server(mugConfig({ countdown_ms: 0 }));
  const [a, b, game] = await matchedPair(s, 'tel-a', 'tel-b');
  const before = await lastSeq(s);
  const telemetry = [
    ['client_console_log', { type: 'log', message: '[P2P] hello', timestamp: Date.now() }],
    ['client_console_log', { type: 'warn', message: 'x'.repeat(500), timestamp: Date.now() }],
    ['pyodide_loading_start', {}],
    ['pyodide_loading_complete', {}],
    ['pyodide_loading_complete', { error: true, reason: 'timeout' }],
    ['p2p_health_report', { game_id: game, player_id: 0, connection_type: 'direct', latency_ms: 12, status: 'healthy', episode: 0 }],
    ['p2p_connection_type', { game_id: game, player_id: 0, connection_type: 'direct', details: {} }],
    ['participant_terminal_state', { game_id: game, scene_id: 'cramped_room', reason: 'partner_disconnected' }],
    ['waitroom_timeout_completion', { completion_code: 'abc', reason: 'waitroom_timeout' }],
    ['send_pressed_keys', { pressed_keys: ['ArrowUp'], session_id: 'mug-session' }],
  ];
  for (const [event, payload] of telemetry) a.emit(event, payload);
  // Answered on the same socket after the telemetry: once it is here, the telemetry was handled.
  const mark = a.events.length;
  a.emit('execute_entry_callback', { session_id: 'mug-session', scene_id: 'cramped_room', context: {} });
  await after_(a, mark, 'entry_callback_result');
  assert.equal(a.names().includes('error'), false, JSON.stringify(a.events));
  assert.equal(await lastSeq(s), before, 'nothing of it is in the log');
  assert.equal(await metric(s, 'cohort_client_events_dropped_total{event="client_console_log"}'), 2);
  assert.equal(await metric(s, 'cohort_client_events_dropped_total{event="pyodide_loading_complete"}'), 2);
  assert.equal(await metric(s, 'cohort_client_events_dropped_total{event="p2p_health_report"}'), 1);
  assert.equal(await metric(s, 'cohort_client_events_answered_total{event="execute_entry_callback"}'), 1);
  // The label set is the known names: an event nobody knows is still unknown_event.
  a.emit('made_up_telemetry', {});
  const error = await after_(a, mark, 'error');
  assert.equal(error.code, 'unknown_event');
  assert.equal((await s.get('/metrics')).body.includes('made_up_telemetry'), false);
  a.close(); b.close();
});

test('telemetry still counts against the rate limit', async () => {
  const config = mugConfig();
  config.server.rate_limit_per_s = 20;
  const s = await server(config);
  const page = await mugPage(s, 'flood-1');
  for (let i = 0; i < 60; i++) page.emit('client_console_log', { type: 'log', message: String(i) });
  const error = await page.waitFor('error');
  assert.equal(error.code, 'rate_limited');
  page.close();
});

test('after kill -9, the state relays find the game again (the routing is rebuilt from the log), and start_game keeps its scene_metadata', async () => {
  const s = await server(mugConfig({ countdown_ms: 0, reconnection_timeout_ms: 20000 }));
  const [a, b, game] = await matchedPair(s, 'rs-a', 'rs-b');
  const tokens = [(await a.waitFor('registered')).resume_token, (await b.waitFor('registered')).resume_token];
  await s.kill9();
  a.close(); b.close();
  await s.start();
  // Back with their tokens (the `resume: subject_id` policy, for mug's tokenless page, is the
  // engine's part of issue 18).
  const back = [];
  for (const [id, token] of [['rs-a', tokens[0]], ['rs-b', tokens[1]]]) {
    const page = await new Client(s.url, id).connected();
    page.emit('register_subject', { subject_id: id, resume_token: token, mugGlobals: {} });
    assert.equal((await page.waitFor('session_restored')).game_id, game);
    assert.deepEqual(page.names().slice(0, 3), ['registered', 'experiment_config', 'activate_scene']);
    assert.deepEqual((await page.waitFor('pyodide_game_ready')).scene_metadata, sceneContent(1));
    assert.deepEqual((await page.waitFor('start_game')).scene_metadata, sceneContent(1));
    back.push(page);
  }
  const [a2, b2] = back;
  const sync = { game_id: game, sender_id: 1, frame_number: 90, state_hash: 'ffee' };
  b2.emit('p2p_state_sync', sync);
  assert.deepEqual(await a2.waitFor('p2p_state_sync'), sync);
  const request = { game_id: game, requester_id: 0, target_id: 1, frame_number: 90 };
  a2.emit('p2p_state_request', request);
  assert.deepEqual(await b2.waitFor('p2p_state_request'), request);
  for (const page of back) assert.equal(page.names().includes('error'), false, JSON.stringify(page.events));
  a2.close(); b2.close();
});

test('validation during the countdown: reports sent on pyodide_game_ready count, start_game comes when the countdown ends', async () => {
  const countdownMs = 1000;
  const s = await server(mugConfig({ countdown_ms: countdownMs, p2p_validation: true, validation_timeout_ms: 15000 }));
  const [a, b, joinedAt] = await joinedPair(s, 'val-a', 'val-b');
  for (const [page, playerId] of [[a, 0], [b, 1]]) {
    const assigned = await page.waitFor('pyodide_player_assigned');
    assert.equal(assigned.player_id, playerId);
    await page.waitFor('pyodide_game_ready');
    // Sent at once: the countdown (1 s) is still running.
    page.emit('p2p_validation_success', { game_id: assigned.game_id, player_id: playerId });
  }
  const startedAt = [];
  for (const page of [a, b]) {
    const complete = await page.waitFor('p2p_validation_complete');
    assert.equal(typeof complete, 'object');
    const start = await page.waitFor('start_game', () => true, 5000);
    startedAt.push(performance.now());
    assert.deepEqual(start.scene_metadata, sceneContent(1));
    const order = page.names().filter((n) => n.startsWith('p2p_validation') || ['match_found_countdown', 'pyodide_game_ready', 'start_game'].includes(n));
    assert.deepEqual(order, ['match_found_countdown', 'pyodide_game_ready', 'p2p_validation_complete', 'start_game'],
      'validated once, no repool, and the start after the validation');
    assert.equal(page.names().includes('error'), false, JSON.stringify(page.events));
  }
  // The countdown began when the second join arrived, after joinedAt: the game cannot start sooner.
  for (const t of startedAt) assert.ok(t - joinedAt >= countdownMs - 5, `start_game ${t - joinedAt} ms after the match`);
  const state = await s.state();
  const game = state.subjects['val-a'].game_id;
  assert.equal(state.games[game].status, 'playing');
  a.close(); b.close();
});

test('normal end: multiplayer_game_complete from both, no end_game, metrics and advance_scene go on', async () => {
  const s = await server(mugConfig({ countdown_ms: 0 }));
  const [a, b, game] = await matchedPair(s, 'end-a', 'end-b');
  // pmg.js, at the last episode: each page reports, exports its metrics, then moves on itself.
  for (const [page, playerId] of [[a, 0], [b, 1]]) {
    page.emit('multiplayer_game_complete', { game_id: game, episode_num: 1, max_episodes: 1 });
    const metrics = { gameId: String(game), playerId, sessionStatus: { isPartial: false, terminationReason: null } };
    assert.deepEqual(await page.call('emit_multiplayer_metrics', { scene_id: 'cramped_room', metrics }), { status: 'ok' });
  }
  // An end_game, had one been sent, would be ahead of each page's pong on its socket.
  for (const page of [a, b]) {
    const mark = page.events.length;
    page.emit('ping', { ping_ms: 10, document_in_focus: true });
    await after_(page, mark, 'pong');
    assert.equal(page.names().includes('end_game'), false, `${page.name}: ${page.names()}`);
    assert.equal(page.names().includes('p2p_game_ended'), false);
    assert.equal(page.names().includes('error'), false, JSON.stringify(page.events));
  }
  const state = await s.state();
  assert.equal(state.subjects['end-a'].state, 'idle');
  assert.equal(state.subjects['end-b'].state, 'idle');
  for (const page of [a, b]) {
    const mark = page.events.length;
    page.emit('advance_scene', { session_id: 'mug-session' });
    assert.deepEqual(await after_(page, mark, 'activate_scene'), sceneContent(2));
    assert.deepEqual(page.names().slice(mark, mark + 2), ['terminate_scene', 'activate_scene']);
    assert.deepEqual(page.events[mark].payload, sceneContent(1));
  }
  const sessions = (await s.get('/admin/export/sessions?format=jsonl')).body.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(sessions.map((r) => r.termination_reason), ['normal', 'normal']);
  a.close(); b.close();
});

test('p2p_reconnection_timeout: after a P2P loss the game ends reconnection_timeout, both told p2p_game_ended then end_game', async () => {
  const s = await server(mugConfig({ countdown_ms: 0, reconnection_timeout_ms: 20000 }));
  const [a, b, game] = await matchedPair(s, 'rt-a', 'rt-b');
  // b (player 1) loses its data channel to a: its WebRTC manager reports, then its own timer runs out.
  b.emit('p2p_connection_lost', { game_id: game, player_id: 1, frame_number: 120, timestamp: Date.now() });
  for (const page of [a, b]) {
    const pause = await page.waitFor('p2p_pause');
    assert.equal(pause.game_id, game);
    assert.equal(typeof pause.pause_frame, 'number');
  }
  b.emit('p2p_reconnection_timeout', { game_id: game, player_id: 1, pause_duration_ms: 5000 });
  for (const page of [a, b]) {
    const ended = await page.waitFor('p2p_game_ended');
    assert.deepEqual(ended, { game_id: game, reason: 'reconnection_timeout', disconnected_player_id: 0 });
    const end = await page.waitFor('end_game');
    assert.ok(page.names().indexOf('p2p_game_ended') < page.names().indexOf('end_game'));
    assert.equal(end.game_id, game);
  }
  // Each page answers end_game with leave_game, then its partial metrics; a's own timer fires late.
  a.emit('p2p_reconnection_timeout', { game_id: game, player_id: 0, pause_duration_ms: 5100 });
  for (const [page, playerId] of [[a, 0], [b, 1]]) {
    page.emit('leave_game', { session_id: 'mug-session' });
    const metrics = { gameId: String(game), playerId, sessionStatus: { isPartial: true, terminationReason: 'partner_disconnected' } };
    assert.deepEqual(await page.call('emit_multiplayer_metrics', { scene_id: 'cramped_room', metrics }), { status: 'ok' });
    assert.equal(page.names().includes('error'), false, JSON.stringify(page.events));
    assert.equal(page.names().filter((n) => n === 'end_game').length, 1);
  }
  const state = await s.state();
  assert.equal(state.subjects['rt-a'].state, 'idle');
  const sessions = (await s.get('/admin/export/sessions?format=jsonl')).body.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(sessions.map((r) => r.termination_reason), ['reconnection_timeout', 'reconnection_timeout']);
  a.close(); b.close();
});

function closedByServer(page) {
  return new Promise((r) => (page.socket.connected ? page.socket.once('disconnect', r) : r()));
}

test('resume "subject_id": a refresh racing the old socket takes over the game, the old socket gets session_replaced', async () => {
  const config = mugConfig({ countdown_ms: 0 });
  config.resume = 'subject_id';
  const s = await server(config);
  const [a, b, game] = await matchedPair(s, 'race-a', 'race-b');
  // The refreshed page connects and registers while the old page's socket is still open.
  assert.equal(a.socket.connected, true);
  const refreshed = await new Client(s.url, 'race-a-2').connected();
  refreshed.emit('register_subject', { subject_id: 'race-a', mugGlobals: {} });
  assert.ok((await a.waitFor('session_replaced')).message !== undefined);
  await closedByServer(a);
  const start = await refreshed.waitFor('start_game');
  assert.equal(start.game_id, game);
  assert.deepEqual(start.scene_metadata, sceneContent(1));
  assert.equal((await refreshed.waitFor('session_restored')).game_id, game);
  assert.equal((await refreshed.waitFor('pyodide_player_assigned')).player_id, 0);
  assert.deepEqual(refreshed.names().slice(0, 3), ['registered', 'experiment_config', 'activate_scene']);
  assert.deepEqual(await refreshed.waitFor('activate_scene'), sceneContent(1));
  assert.equal(refreshed.names().includes('duplicate_session'), false);
  assert.equal(refreshed.names().includes('error'), false, JSON.stringify(refreshed.events));
  // The game went on: the partner saw no pause, and the new page plays in it.
  refreshed.emit('pyodide_player_action', { game_id: game, player_id: 0, action: 2, frame_number: 7, timestamp: Date.now(), sync_epoch: 0 });
  assert.deepEqual(await b.waitFor('pyodide_other_player_action'), { player_id: 0, action: 2, frame_number: 7 });
  assert.equal(b.names().includes('p2p_pause'), false);
  const state = await s.state();
  assert.equal(state.subjects['race-a'].state, 'in_game');
  // The old socket's close came after the takeover: it paused nothing.
  assert.equal(state.games[game].status, 'playing');
  refreshed.close(); b.close();
});

test('resume "subject_id": a refresh after the old socket closed resumes the paused game', async () => {
  const config = mugConfig({ countdown_ms: 0, reconnection_timeout_ms: 20000 });
  config.resume = 'subject_id';
  const s = await server(config);
  const [a, b, game] = await matchedPair(s, 'ref-a', 'ref-b');
  a.close();
  assert.equal((await b.waitFor('p2p_pause')).game_id, game);
  const refreshed = await new Client(s.url, 'ref-a-2').connected();
  refreshed.emit('register_subject', { subject_id: 'ref-a', mugGlobals: {} });
  assert.equal((await refreshed.waitFor('session_restored')).game_id, game);
  assert.deepEqual((await refreshed.waitFor('pyodide_game_ready')).scene_metadata, sceneContent(1));
  for (const page of [refreshed, b]) assert.equal((await page.waitFor('p2p_resume')).game_id, game);
  assert.equal(refreshed.names().includes('duplicate_session'), false);
  assert.equal(refreshed.names().includes('error'), false, JSON.stringify(refreshed.events));
  refreshed.close(); b.close();
});

test('resume "token" (the default): mug\'s tokenless refresh mid-game is a duplicate_session, and the old page plays on', async () => {
  const s = await server(mugConfig({ countdown_ms: 0, reconnection_timeout_ms: 20000 }));
  const [a, b, game] = await matchedPair(s, 'tok-a', 'tok-b');
  const refreshed = await new Client(s.url, 'tok-a-2').connected();
  refreshed.emit('register_subject', { subject_id: 'tok-a', mugGlobals: {} });
  assert.ok((await refreshed.waitFor('duplicate_session')).message);
  assert.equal(refreshed.names().includes('registered'), false);
  a.emit('pyodide_player_action', { game_id: game, player_id: 0, action: 1, frame_number: 3, timestamp: Date.now(), sync_epoch: 0 });
  assert.deepEqual(await b.waitFor('pyodide_other_player_action'), { player_id: 0, action: 1, frame_number: 3 });
  assert.equal(a.names().includes('session_replaced'), false);
  // Once the old socket is gone, the game awaits the subject: still only its token resumes it.
  a.close();
  await b.waitFor('p2p_pause');
  const again = await new Client(s.url, 'tok-a-3').connected();
  again.emit('register_subject', { subject_id: 'tok-a', mugGlobals: {} });
  assert.ok((await again.waitFor('duplicate_session')).message);
  const token = (await a.waitFor('registered')).resume_token;
  const withToken = await new Client(s.url, 'tok-a-4').connected();
  withToken.emit('register_subject', { subject_id: 'tok-a', resume_token: token });
  assert.equal((await withToken.waitFor('session_restored')).game_id, game);
  refreshed.close(); again.close(); withToken.close(); b.close();
});
