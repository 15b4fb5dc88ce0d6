// A restart of the server, by kill -9 or by SIGTERM, with a game playing or paused: both
// players come back with their tokens, find their game, and every relay reaches the partner,
// both ways. (The relay rooms are a projection of the log: nothing else brings them back.)
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, experiment, gameScene, participant, startedPair } from './harness.mjs';

const servers = [];
after(async () => { for (const s of servers) await s.stop(); });

async function relaysBothWays(a, b, game) {
  a.emit('pyodide_player_action', { game_id: game, action: { move: 'up' }, frame_number: 7 });
  assert.deepEqual(await b.waitFor('pyodide_other_player_action'), { player_id: 0, action: { move: 'up' }, frame_number: 7 });
  b.emit('pyodide_player_action', { game_id: game, action: { move: 'down' }, frame_number: 8 });
  assert.deepEqual(await a.waitFor('pyodide_other_player_action'), { player_id: 1, action: { move: 'down' }, frame_number: 8 });
  a.emit('webrtc_signal', { game_id: game, target_player_id: 1, type: 'offer', payload: { sdp: 'v=0 a' } });
  assert.deepEqual(await b.waitFor('webrtc_signal'), { type: 'offer', from_player_id: 0, game_id: game, payload: { sdp: 'v=0 a' } });
  b.emit('webrtc_signal', { game_id: game, target_player_id: 0, type: 'answer', payload: { sdp: 'v=0 b' } });
  assert.deepEqual(await a.waitFor('webrtc_signal'), { type: 'answer', from_player_id: 1, game_id: game, payload: { sdp: 'v=0 b' } });
  for (const c of [a, b]) assert.equal(c.names().includes('error'), false, `${c.name} got no error: ${JSON.stringify(c.events)}`);
}

for (const how of ['kill -9', 'SIGTERM']) {
  for (const paused of [false, true]) {
    test(`after ${how}, a ${paused ? 'paused' : 'playing'} game's relays reach the partner both ways`, async () => {
      const s = await new Server(experiment(gameScene({ reconnection_timeout_ms: 20000 }))).start();
      servers.push(s);
      const [a, b, game] = await startedPair(s, 'ra', 'rb');
      await relaysBothWays(a, b, game);  // before: the route as the live events made it
      if (paused) {
        a.emit('p2p_connection_lost', { game_id: game, frame_number: 5 });
        await b.waitFor('p2p_pause');
      }
      if (how === 'kill -9') await s.kill9(); else await s.terminate();
      a.close(); b.close();

      await s.start();
      const a2 = await participant(s, 'ra', a.token);
      const b2 = await participant(s, 'rb', b.token);
      for (const c of [a2, b2]) assert.equal((await c.waitFor('session_restored')).game_id, game);
      const live = (await s.state()).games[String(game)];
      assert.ok(live, 'the game is live after the restart');
      assert.equal(live.status, paused ? 'paused' : 'playing');
      await relaysBothWays(a2, b2, game);
      assert.deepEqual(await s.audit(), { ok: true, violations: [] });
      a2.close(); b2.close();
    });
  }
}
