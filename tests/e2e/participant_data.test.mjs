// The participant's data as mug's client sends it (chasemcd/mug b46a1b0: emit_episode_data with a
// msgpack Uint8Array and an ack, emit_remote_game_data, static_scene_data_emission, sync_globals),
// with the stock socket.io client: every event acked {status: ok} is in the log after a kill -9,
// and `cohort-replay export --data` gives each attachment back byte for byte.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, mkdtempSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { Server, Client, SERVER, experiment } from './harness.mjs';

const REPLAY = process.env.COHORT_REPLAY || join(dirname(SERVER), 'cohort-replay');
const servers = [];
after(async () => { for (const s of servers) await s.stop(); });

function episodeBytes(n) {
  return Uint8Array.from({ length: 200 + n * 37 }, (_, i) => (i * 31 + n * 7) & 0xff);
}

test('acked data survives kill -9 and is exported byte for byte', async () => {
  const s = await new Server(experiment()).start();
  servers.push(s);
  const page = await new Client(s.url, 'ann').connected();
  page.emit('register_subject', { subject_id: 'ann', mugGlobals: {} });
  await page.waitFor('activate_scene');
  const acked = [];
  for (let n = 0; n < 12; n++) {
    const ack = await page.call('emit_episode_data', {
      data: episodeBytes(n), scene_id: 'cramped_room', episode_num: n, session_id: 'x', subject_id: 'ann', mugGlobals: {},
    });
    assert.equal(ack.status, 'ok');
    acked.push(n);
  }
  page.emit('emit_remote_game_data', { data: episodeBytes(99), scene_id: 'cramped_room', session_id: 'x', mugGlobals: {} });
  page.emit('static_scene_data_emission', { data: { q1: 'yes' }, scene_id: 'consent', session_id: 'x', mugGlobals: {} });
  page.emit('sync_globals', { mugGlobals: { subjectName: 'ann' } });
  const last = await page.call('emit_episode_data', { data: episodeBytes(12), scene_id: 'cramped_room', episode_num: 12 });
  assert.equal(last.status, 'ok');
  acked.push(12);
  await s.kill9();
  page.close();

  const out = mkdtempSync(join(tmpdir(), 'cohort-data-'));
  execFileSync(REPLAY, ['export', s.db, '--data', out]);
  const rows = readFileSync(join(out, 'emit_episode_data.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(rows.map((r) => r.data.episode_num), acked);
  for (const row of rows) {
    assert.equal(row.subject, 'ann');
    assert.equal(row.scene_id, 'cramped_room');
    const bytes = readFileSync(join(out, row.attachments[0].file));
    assert.deepEqual(new Uint8Array(bytes), episodeBytes(row.data.episode_num));
  }
  // Sent before the last acked one on the same socket, so committed before it.
  const remote = JSON.parse(readFileSync(join(out, 'emit_remote_game_data.jsonl'), 'utf8'));
  assert.deepEqual(new Uint8Array(readFileSync(join(out, remote.attachments[0].file))), episodeBytes(99));
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'static_scene_data_emission.jsonl'), 'utf8')).data.data, { q1: 'yes' });
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'sync_globals.jsonl'), 'utf8')).data.mugGlobals, { subjectName: 'ann' });
  assert.match(execFileSync(REPLAY, ['verify', s.db]).toString(), /^sound/);
});
