// The latency a participant feels at low load, with the stock client (issue 20). A match is
// several small WebSocket frames written back to back; without TCP_NODELAY on the server's
// sockets, Nagle's algorithm holds each after the first until the client's delayed ACK (40 ms
// on Linux), so the pair waited about 45 ms for pyodide_game_ready. This is a bound, not a
// figure (the figures are tests/bench/stock_client_life.mjs'): the median of several matches
// must stay well under the delayed ACK, even under a sanitizer on a loaded machine.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, experiment, gameScene, participant, toGameScene } from './harness.mjs';

const servers = [];
after(() => Promise.all(servers.map((s) => s.stop())));

async function server(config) {
  const s = await new Server(config).start();
  servers.push(s);
  return s;
}

const MATCH_BURST = ['match_found_countdown', 'pyodide_player_assigned', 'pyodide_game_ready', 'start_game'];
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

test('a match reaches both players without waiting for a delayed ACK', async () => {
  const s = await server(experiment(gameScene()));
  const spans = [];
  for (let pair = 0; pair < 8; pair++) {
    const a = await participant(s, `lat-a${pair}`);
    const b = await participant(s, `lat-b${pair}`);
    await toGameScene(a);
    await toGameScene(b);
    a.emit('join_game', {});
    await a.waitFor('waiting_room');
    const readyA = a.events.length;
    const readyB = b.events.length;
    const trigger = performance.now();
    b.emit('join_game', {});
    await Promise.all([a.waitFor('pyodide_game_ready', () => true, 5000, readyA),
                       b.waitFor('pyodide_game_ready', () => true, 5000, readyB)]);
    spans.push(performance.now() - trigger);
    await Promise.all([a.waitFor('start_game'), b.waitFor('start_game')]);
    // The match's notifications to one socket leave together (one write), in the order decided.
    for (const [client, from] of [[a, readyA], [b, readyB]]) {
      assert.deepEqual(client.names().slice(from), MATCH_BURST, `${client.name}: ${client.names().slice(from)}`);
    }
    a.close(); b.close();
  }
  assert.ok(median(spans) < 25, `trigger join -> pyodide_game_ready, median ${median(spans).toFixed(1)} ms: ${spans.map((x) => x.toFixed(1))}`);
  // The server timed each match once, from reading the completing join to writing its last frame.
  const text = (await s.get('/metrics')).body;
  const count = Number(text.match(/^cohort_match_notify_seconds_count (\S+)$/m)?.[1]);
  const sum = Number(text.match(/^cohort_match_notify_seconds_sum (\S+)$/m)?.[1]);
  assert.equal(count, 8, text);
  assert.ok(sum > 0 && sum < 8 * 5, `cohort_match_notify_seconds_sum ${sum}`);
});
