// A crash is not a disconnect (PROTOCOL.md 4.1), as stock socket.io clients live it: the server
// is killed (-9) or stopped (SIGTERM) and started again on its log; who was connected is
// absent, keeps its place and its deadlines (at their logged times, not from the restart), and
// comes back where it was; newcomers are never matched with an absent waiter; who does not come
// back is disconnected when server.restart_grace_ms ends.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, experiment, gameScene, participant, toGameScene, sleep } from './harness.mjs';

const servers = [];
after(async () => { for (const s of servers) await s.stop(); });

const GRACE = 4000;

async function server(scene) {
  const s = await new Server(experiment(gameScene(scene), { restart_grace_ms: GRACE })).start();
  servers.push(s);
  return s;
}

async function restart(s, how) {
  if (how === 'kill -9') await s.kill9(); else await s.terminate();
  await s.start();
}

async function waiter(s, id) {
  const c = await participant(s, id);
  await toGameScene(c);
  c.emit('join_game', {});
  await c.waitFor('waiting_room');
  return c;
}

async function matchedPair(s, a, b) {
  const first = await waiter(s, a);
  const second = await participant(s, b);
  await toGameScene(second);
  second.emit('join_game', {});
  const ready = await first.waitFor('pyodide_game_ready');
  await second.waitFor('pyodide_game_ready');
  return [first, second, ready.game_id];
}

async function back(s, client) {
  client.close();
  return participant(s, client.name, client.token);
}

for (const how of ['kill -9', 'SIGTERM']) {
  test(`${how}: a waiter keeps its place, newcomers wait for it, and it is matched once back`, async () => {
    const s = await server({ waitroom_timeout_ms: 20000 });
    const w = await waiter(s, 'w');
    await sleep(300);
    await restart(s, how);
    const n = await waiter(s, 'n');  // the only other waiter is absent: no game
    await sleep(300);
    assert.equal((await s.state()).subjects.n.state, 'waiting');
    assert.equal((await s.state()).subjects.w.state, 'waiting', 'the absent waiter kept its place');
    const w2 = await back(s, w);
    assert.equal(w2.events.find((e) => e.event === 'registered').payload.state, 'waiting');
    const ready = await w2.waitFor('pyodide_game_ready');
    assert.deepEqual(ready.player_subjects, { 0: 'w', 1: 'n' });
    await n.waitFor('pyodide_game_ready');
    w2.close(); n.close();
  });

  test(`${how}: a waitroom timeout fires at join + timeout while the waiter is away, and is told on return`, async () => {
    const s = await server({ waitroom_timeout_ms: 2500 });
    const w = await waiter(s, 'w');
    const joined = Date.now();
    await sleep(800);
    await restart(s, how);
    while (Date.now() - joined < 2400) await sleep(50);
    assert.equal((await s.state()).subjects.w.state, 'waiting');
    await sleep(600);  // past join + timeout, well before restart + timeout
    assert.equal((await s.state()).subjects.w.state, 'idle');
    const w2 = await back(s, w);
    assert.deepEqual(await w2.waitFor('waitroom_timeout'), { scene_id: 'cramped_room', message: 'No partner could be found in time.' });
    w2.close();
  });

  test(`${how}: a countdown that fell due while a player was away ends when the player is back`, async () => {
    const s = await server({ countdown_ms: 2000 });
    const [a, b, game] = await matchedPair(s, 'ca', 'cb');
    const matched = Date.now();
    await restart(s, how);
    const a2 = await back(s, a);
    const countdown = await a2.waitFor('match_found_countdown');
    assert.equal(countdown.game_id, game);
    assert.ok(countdown.countdown_ms <= 2000 - (Date.now() - matched) + 200, `what is left: ${countdown.countdown_ms}`);
    while (Date.now() - matched < 2600) await sleep(50);
    assert.equal((await s.state()).games[String(game)].status, 'matched', 'waiting for cb');
    const b2 = await back(s, b);
    for (const c of [a2, b2]) assert.equal((await c.waitFor('start_game')).game_id, game);
    a2.close(); b2.close();
  });

  test(`${how}: a game in validation comes back to validation, and starts when both report`, async () => {
    const s = await server({ countdown_ms: 0, p2p_validation: true, validation_timeout_ms: 8000 });
    const [a, b, game] = await matchedPair(s, 'va', 'vb');
    await restart(s, how);
    const a2 = await back(s, a);
    const b2 = await back(s, b);
    assert.equal((await s.state()).games[String(game)].status, 'validating');
    for (const c of [a2, b2]) {
      assert.equal((await c.waitFor('pyodide_game_ready')).game_id, game);
      c.emit('p2p_validation_success', { game_id: game });
    }
    for (const c of [a2, b2]) await c.waitFor('start_game');
    a2.close(); b2.close();
  });

  test(`${how}: a playing game stays playing, its players get it set up again and relay at once`, async () => {
    const s = await server({ countdown_ms: 0 });
    const [a, b, game] = await matchedPair(s, 'pa', 'pb');
    await a.waitFor('start_game');
    await restart(s, how);
    assert.equal((await s.state()).games[String(game)].status, 'playing');
    const a2 = await back(s, a);
    for (const name of ['session_restored', 'pyodide_player_assigned', 'pyodide_game_ready', 'start_game']) {
      assert.equal((await a2.waitFor(name)).game_id, game, name);
    }
    const b2 = await back(s, b);
    assert.equal(b2.names().includes('p2p_pause'), false);
    a2.emit('pyodide_player_action', { game_id: game, action: 'up', frame_number: 3 });
    assert.deepEqual(await b2.waitFor('pyodide_other_player_action'), { player_id: 0, action: 'up', frame_number: 3 });
    assert.equal((await s.state()).games[String(game)].status, 'playing');
    a2.close(); b2.close();
  });

  test(`${how}: a paused game stays paused and its reconnection grace ends at its logged time`, async () => {
    const s = await server({ countdown_ms: 0, reconnection_timeout_ms: 2500 });
    const [a, b, game] = await matchedPair(s, 'za', 'zb');
    await a.waitFor('start_game');
    a.emit('p2p_connection_lost', { game_id: game, frame_number: 9 });
    await b.waitFor('p2p_pause');
    const paused = Date.now();
    await restart(s, how);
    const a2 = await back(s, a);
    assert.deepEqual(await a2.waitFor('p2p_pause'), { game_id: game, pause_frame: 9, detecting_player: 0 });
    while (Date.now() - paused < 2300) await sleep(50);
    assert.equal((await s.state()).games[String(game)]?.status, 'paused');
    await a2.waitFor('end_game', () => true, 3000);
    assert.equal((await s.state()).games[String(game)], undefined);
    a2.close(); b.close();
  });

  test(`${how}: who does not come back is disconnected when the restart grace ends`, async () => {
    const s = await server({ countdown_ms: 0, reconnection_timeout_ms: 1500 });
    const [a, b, game] = await matchedPair(s, 'ga', 'gb');
    await a.waitFor('start_game');
    const w = await waiter(s, 'lone');
    const restarted = Date.now();
    await restart(s, how);
    const a2 = await back(s, a);
    b.close(); w.close();  // gb and the lone waiter never come back
    const pause = await a2.waitFor('p2p_pause', () => true, GRACE + 2000);
    assert.ok(Date.now() - restarted >= GRACE - 200, 'paused only when the restart grace ended');
    assert.deepEqual(pause, { game_id: game, pause_frame: 0, detecting_player: 1 });
    assert.equal((await s.state()).subjects.lone.state, 'idle', 'the absent waiter left the waitroom');
    const ended = await a2.waitFor('p2p_game_ended', () => true, 3000);
    assert.deepEqual(ended, { game_id: game, reason: 'partner_disconnected', disconnected_player_id: 1 });
    assert.deepEqual(await s.audit(), { ok: true, violations: [] });
    a2.close();
  });
}
