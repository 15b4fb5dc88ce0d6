// Recruitment ids as a Prolific study carries them: the page passes its URL query in
// register_subject's `params`; the log keeps only the keys the config lists, the subjects
// export has them per participant, and a subject id can come from them (issue 21 item 1).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Server, Client, SERVER, experiment, gameScene } from './harness.mjs';

const REPLAY = process.env.COHORT_REPLAY || join(dirname(SERVER), 'cohort-replay');
const servers = [];
after(async () => { await Promise.all(servers.map((s) => s.stop())); });

async function started(recruitment) {
  const config = experiment(gameScene());
  if (recruitment) config.recruitment = recruitment;
  const server = await new Server(config).start();
  servers.push(server);
  return server;
}

async function register(server, payload) {
  const client = await new Client(server.url, JSON.stringify(payload)).connected();
  client.emit('register_subject', payload);
  return client;
}

function subjectsExport(server) {
  const text = execFileSync(REPLAY, ['export', server.db, '--subjects', '--format', 'jsonl']).toString();
  return text.split('\n').filter((line) => line).map((line) => JSON.parse(line));
}

// The log file and its WAL, as bytes: what a copied log would give away.
function logBytes(server) {
  return ['', '-wal'].map((suffix) => server.db + suffix).filter(existsSync)
    .map((path) => readFileSync(path).toString('latin1')).join('');
}

test('the Prolific ids are kept and exported; a key the config does not list never reaches the log', async () => {
  const server = await started();
  const client = await register(server, {
    subject_id: 'p-1',
    params: { PROLIFIC_PID: '5f2a9c0e1d', STUDY_ID: 'study-77', SESSION_ID: 'sess-3', email: 'someone@example.org' },
  });
  await client.waitFor('registered');
  const plain = await register(server, { subject_id: 'p-2' });
  await plain.waitFor('registered');
  const rows = subjectsExport(server);
  const first = rows.find((r) => r.subject_id === 'p-1');
  assert.equal(first['params.PROLIFIC_PID'], '5f2a9c0e1d');
  assert.equal(first['params.STUDY_ID'], 'study-77');
  assert.equal(first['params.SESSION_ID'], 'sess-3');
  assert.ok(!('params.email' in first));
  assert.equal(rows.find((r) => r.subject_id === 'p-2')['params.PROLIFIC_PID'], null, 'a subject without params has empty cells');
  assert.ok(!logBytes(server).includes('someone@example.org'), 'the unlisted key was dropped before the log');
  const trace = execFileSync(REPLAY, ['trace', server.db, '--subject', 'p-1']).toString();
  assert.match(trace, /5f2a9c0e1d/, 'trace shows the kept ids with the registration');
  client.close();
  plain.close();
});

test('subject_id_from: a registration without a subject id takes it from the recruitment id', async () => {
  const server = await started({ keep: ['PROLIFIC_PID'], subject_id_from: 'PROLIFIC_PID' });
  const client = await register(server, { params: { PROLIFIC_PID: 'abc123', STUDY_ID: 'dropped' } });
  const registered = await client.waitFor('registered');
  assert.equal(registered.subject_id, 'abc123');
  const row = subjectsExport(server).find((r) => r.subject_id === 'abc123');
  assert.equal(row['params.PROLIFIC_PID'], 'abc123');
  assert.ok(!('params.STUDY_ID' in row));
  // Neither a subject id nor the key it comes from: refused, nothing registered.
  const none = await register(server, { params: { STUDY_ID: 's' } });
  const error = await none.waitFor('error');
  assert.equal(error.code, 'bad_payload');
  assert.match(error.message, /params\.PROLIFIC_PID/);
  client.close();
  none.close();
});

test('subject_id_is: mug\'s page, whose recruitment id is its subject id, sends no params', async () => {
  const server = await started({ keep: ['PROLIFIC_PID'], subject_id_is: 'PROLIFIC_PID' });
  const client = await register(server, { subject_id: '60d1f0c2aa' });
  await client.waitFor('registered');
  const row = subjectsExport(server).find((r) => r.subject_id === '60d1f0c2aa');
  assert.equal(row['params.PROLIFIC_PID'], '60d1f0c2aa');
  client.close();
});

test('params that are not an object of short strings are refused, and register nobody', async () => {
  const server = await started();
  const bad = [
    { subject_id: 'x1', params: 'PROLIFIC_PID=1' },
    { subject_id: 'x2', params: { PROLIFIC_PID: 7 } },
    { subject_id: 'x3', params: { PROLIFIC_PID: 'a'.repeat(257) } },
    { subject_id: 'x4', params: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])) },
    { subject_id: 'x5', params: { PROLIFIC_PID: 'line\nbreak' } },
  ];
  for (const payload of bad) {
    const client = await register(server, payload);
    const error = await client.waitFor('error');
    assert.equal(error.code, 'bad_payload', JSON.stringify(payload).slice(0, 80));
    client.close();
  }
  assert.deepEqual(subjectsExport(server), []);
});
