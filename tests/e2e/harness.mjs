// Starts cohort-server on a free loopback port with a temporary log, and drives it with the
// stock socket.io client. Every event a client receives is recorded, so tests can wait for it.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { io } from 'socket.io-client';

export const SERVER = process.env.COHORT_SERVER || resolve(import.meta.dirname ?? '.', '../../build/cohort-server');
export const TOKEN = 'e2e-admin-token-0123';

export function gameScene(overrides = {}) {
  return {
    scene_id: 'cramped_room', type: 'game', human_seats: 2, countdown_ms: 0,
    waitroom_timeout_ms: 60000, reconnection_timeout_ms: 1500, ...overrides,
  };
}

export function experiment(scene = gameScene(), server = {}) {
  return {
    experiment_id: 'e2e',
    server: { admin_token: TOKEN, ...server },
    scenes: [{ scene_id: 'consent', type: 'static' }, scene, { scene_id: 'end', type: 'static' }],
  };
}

export class Server {
  // `flags`: more cohort-server flags, after the config, log, address and port.
  constructor(config = experiment(), flags = []) {
    this.flags = flags;
    this.dir = mkdtempSync(join(tmpdir(), 'cohort-e2e-'));
    this.db = join(this.dir, 'log.db');
    this.configPath = join(this.dir, 'config.json');
    writeFileSync(this.configPath, JSON.stringify(config));
    this.port = 0;
  }

  // Starts (or restarts, on the same log and port) and resolves once it listens.
  start() {
    return new Promise((resolveStart, reject) => {
      const args = ['--config', this.configPath, '--db', this.db, '--address', '127.0.0.1', '--port', String(this.port),
        ...this.flags];
      this.process = spawn(SERVER, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      this.stderr = '';
      const timer = setTimeout(() => reject(new Error('server did not start: ' + this.stderr)), 10000);
      this.process.stderr.on('data', (chunk) => {
        this.stderr += chunk;
        const started = this.stderr.match(/"event":"started".*"port":"(\d+)"/);
        if (started && !this.url) {
          this.port = Number(started[1]);
          this.url = `http://127.0.0.1:${this.port}`;
          clearTimeout(timer);
          resolveStart(this);
        }
      });
    });
  }

  async kill9() {
    const exited = new Promise((r) => this.process.once('exit', r));
    this.process.kill('SIGKILL');
    await exited;
    this.url = undefined;
  }

  // SIGTERM, keeping the log for a restart.
  async terminate() {
    const exited = new Promise((r) => this.process.once('exit', r));
    this.process.kill('SIGTERM');
    await exited;
    this.url = undefined;
  }

  async stop() {
    if (this.process && this.process.exitCode === null && this.process.signalCode === null) {
      const exited = new Promise((r) => this.process.once('exit', r));
      this.process.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  async get(path, token = TOKEN) {
    const response = await fetch(this.url + path, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    return { status: response.status, body: await response.text() };
  }

  async state() { return JSON.parse((await this.get('/admin/state')).body); }
  async audit() { return JSON.parse((await this.get('/admin/audit')).body); }
}

// A socket.io client that records what it receives.
export class Client {
  constructor(url, name) {
    this.name = name;
    this.events = [];
    this.waiters = [];
    this.socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: 5000 });
    this.socket.onAny((event, payload) => {
      this.events.push({ event, payload });
      this.waiters = this.waiters.filter((w) => !w.check());
    });
  }

  connected() {
    return new Promise((resolveConnect, reject) => {
      if (this.socket.connected) return resolveConnect(this);
      this.socket.once('connect', () => resolveConnect(this));
      this.socket.once('connect_error', reject);
    });
  }

  emit(event, payload) { this.socket.emit(event, payload); }
  call(event, payload) { return this.socket.timeout(5000).emitWithAck(event, payload); }

  // Resolves with the payload of the first `event` (after `from`, an index into events) that
  // satisfies `match`.
  waitFor(event, match = () => true, timeoutMs = 5000, from = 0) {
    return new Promise((resolveWait, reject) => {
      const check = () => {
        const found = this.events.slice(from).find((e) => e.event === event && match(e.payload));
        if (found) { clearTimeout(timer); resolveWait(found.payload); return true; }
        return false;
      };
      const timer = setTimeout(() => {
        reject(new Error(`${this.name}: no ${event} within ${timeoutMs} ms; got ${this.events.map((e) => e.event).join(',')}`));
      }, timeoutMs);
      if (!check()) this.waiters.push({ check });
    });
  }

  names() { return this.events.map((e) => e.event); }
  close() { this.socket.disconnect(); }
}

// Connects, registers and moves to the game scene.
export async function participant(server, id, token) {
  const client = await new Client(server.url, id).connected();
  client.emit('register_subject', token ? { subject_id: id, resume_token: token } : { subject_id: id });
  const registered = await client.waitFor('registered');
  if (registered.state !== 'done') await client.waitFor('activate_scene');
  client.token = registered.resume_token;
  return client;
}

export async function toGameScene(client) {
  const mark = client.events.length;
  client.emit('advance_scene', {});
  await client.waitFor('activate_scene', (p) => p.type === 'game', 5000, mark);
}

// Two participants matched into a started game; resolves with [a, b, gameId].
export async function startedPair(server, a = 'alice', b = 'bob') {
  const first = await participant(server, a);
  const second = await participant(server, b);
  await toGameScene(first);
  await toGameScene(second);
  first.emit('join_game', {});
  await first.waitFor('waiting_room');
  second.emit('join_game', {});
  const start = await first.waitFor('start_game');
  await second.waitFor('start_game');
  return [first, second, start.game_id];
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
