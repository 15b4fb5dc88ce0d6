// Completion codes end to end (docs/server.md, "Paying participants: completion codes"): a
// waitroom timeout and a normal finish each deliver their code, mug's end scene content carries
// it under completion.scene_field, and the sessions export names it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, Client, TOKEN, participant, startedPair } from './harness.mjs';

const END_CLIENT = { scene_type: 'CompletionCodeScene', scene_header: 'Thank you', code: 'shown here' };
const PAY = 'https://app.prolific.com/submissions/complete?cc=';

function paidConfig() {
  return {
    experiment_id: 'paid-e2e',
    server: { admin_token: TOKEN },
    scenes: [
      { scene_id: 'consent', type: 'static' },
      { scene_id: 'cramped_room', type: 'game', human_seats: 2, countdown_ms: 0, waitroom_timeout_ms: 1500,
        reconnection_timeout_ms: 1500 },
      { scene_id: 'end', type: 'static', client: END_CLIENT },
    ],
    completion: {
      finished: { code: 'FINISHED1', redirect_url: PAY + 'FINISHED1' },
      waitroom_timeout: { code: 'NOPARTNER', redirect_url: PAY + 'NOPARTNER', finishes: true },
      partner_left: { code: 'LEFTALONE', finishes: true },
      scene_field: 'code',
    },
  };
}

const servers = [];
async function server() {
  const s = await new Server(paidConfig()).start();
  servers.push(s);
  return s;
}
after(async () => { for (const s of servers) await s.stop(); });

function endScene(code, url) {
  const args = { scene_id: 'end', scene_index: 2, type: 'static', completion_code: code };
  if (url) args.redirect_url = url;
  return { ...args, ...END_CLIENT, code };
}

test('a waitroom timeout that finishes the study delivers its code, and the end scene shows it', async () => {
  const s = await server();
  const client = await participant(s, 'waiter-1');
  client.emit('advance_scene', {});
  await client.waitFor('activate_scene', (p) => p.type === 'game');
  client.emit('join_game', {});
  const timeout = await client.waitFor('waitroom_timeout', () => true, 5000);
  assert.equal(timeout.completion_code, 'NOPARTNER');
  assert.equal(timeout.redirect_url, PAY + 'NOPARTNER');
  const end = await client.waitFor('activate_scene', (p) => p.scene_id === 'end');
  assert.deepEqual(end, endScene('NOPARTNER', PAY + 'NOPARTNER'));
  assert.deepEqual(await client.waitFor('experiment_complete'), { completion_code: 'NOPARTNER', redirect_url: PAY + 'NOPARTNER' });
  assert.equal((await s.state()).subjects['waiter-1'].state, 'done');
  client.close();
  // Back later (a refreshed page): told again, with the same code.
  const back = new Client(s.url, 'waiter-1b');
  await back.connected();
  back.emit('register_subject', { subject_id: 'waiter-1', resume_token: client.token });
  assert.deepEqual(await back.waitFor('experiment_complete'), { completion_code: 'NOPARTNER', redirect_url: PAY + 'NOPARTNER' });
  back.close();
});

test('a normal finish delivers the `finished` code with the last scene', async () => {
  const s = await server();
  const client = await participant(s, 'finisher-1');
  client.emit('advance_scene', {});
  await client.waitFor('activate_scene', (p) => p.type === 'game');
  client.emit('advance_scene', {});
  const end = await client.waitFor('activate_scene', (p) => p.scene_id === 'end');
  assert.deepEqual(end, endScene('FINISHED1', PAY + 'FINISHED1'));
  assert.deepEqual(await client.waitFor('experiment_complete'), { completion_code: 'FINISHED1', redirect_url: PAY + 'FINISHED1' });
  client.close();
});

test('a partner who leaves finishes the study of the one who stays, and the export names the code', async () => {
  const s = await server();
  const [first, second] = await startedPair(s, 'stays-1', 'leaves-1');
  second.emit('leave_game', {});
  const ended = await first.waitFor('end_game');
  assert.equal(ended.reason, 'partner_left');
  assert.equal(ended.completion_code, 'LEFTALONE');
  assert.deepEqual(await first.waitFor('experiment_complete'), { completion_code: 'LEFTALONE' });
  const csv = (await s.get('/admin/export/sessions?format=csv')).body;
  const [header, ...rows] = csv.trim().split('\r\n');
  const column = header.split(',').indexOf('completion_code');
  assert.notEqual(column, -1);
  const bySubject = Object.fromEntries(rows.map((r) => [r.split(',')[2], r.split(',')[column]]));
  assert.deepEqual(bySubject, { 'stays-1': 'LEFTALONE', 'leaves-1': '' });
  first.close();
  second.close();
});
