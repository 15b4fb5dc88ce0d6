// The latency a participant feels, with the stock socket.io client (issue 20).
//
// For each N (and each countdown), starts a fresh cohort-server (durability full) and runs N
// participants through a whole life: connect, register, advance to the game scene, join (all N
// joins sent in the same tick), match, one relayed action each way, the partner leaves, advance
// to the end scene, disconnect. Small N are repeated for `rounds` so the CPU figures rest on
// more than a few clock ticks. Prints key=value lines:
//   ready_p50_ms / ready_p99_ms    trigger join -> pyodide_game_ready, as each client sees it
//                                  (the trigger is the later join of the pair)
//   server_ready_p50_ms / _p99_ms  the same span as the server sees it: from reading the join
//                                  that completes a match to writing that match's last frame
//                                  (cohort_match_notify_seconds in /metrics, bucket-interpolated)
//   cpu_user_ms_per_life, cpu_sys_ms_per_life   the server's CPU over the lives / participants
//   syscalls_per_life, send_per_life, recv_per_life   the server's system calls (perf stat
//                                  tracepoints; n/a without perf)
//   peak_rss_mb                    the server's VmHWM at the end
//
// Usage (from the repository root, after scripts/build):
//   node tests/bench/stock_client_life.mjs [--participants 20,200,1000] [--countdowns 0,3000]
//        [--rounds-of 200] [--server build/cohort-server]
// On a 2-core machine the driver shares the cores with the server: at N = 1,000 the client-side
// figures are the driver's as much as the server's.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(resolve(import.meta.dirname, '../e2e/package.json'));
const { io } = require('socket.io-client');

const TOKEN = 'bench-admin-token-0123456789';
const TICKS_PER_S = 100;  // USER_HZ on Linux

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : fallback;
}

const participantCounts = option('--participants', '20,200,1000').split(',').map(Number);
const countdowns = option('--countdowns', '0,3000').split(',').map(Number);
const roundsOf = Number(option('--rounds-of', '200'));  // participants' lives per N at least
const serverPath = resolve(option('--server', resolve(import.meta.dirname, '../../build/cohort-server')));

function config(countdownMs, participants) {
  return {
    experiment_id: 'bench-stock-client',
    server: {
      admin_token: TOKEN, durability: 'full', max_connections: participants * 2 + 100,
      max_connections_per_address: participants * 2 + 100, rate_limit_per_s: 1000,
    },
    scenes: [
      { scene_id: 'consent', type: 'static' },
      { scene_id: 'room', type: 'game', human_seats: 2, countdown_ms: countdownMs,
        waitroom_timeout_ms: 120000, reconnection_timeout_ms: 5000 },
      { scene_id: 'end', type: 'static' },
    ],
  };
}

function startServer(configJson) {
  const dir = mkdtempSync(join(tmpdir(), 'cohort-bench-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(configJson));
  const child = spawn(serverPath, ['--config', join(dir, 'config.json'), '--db', join(dir, 'log.db'),
    '--address', '127.0.0.1', '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start: ' + stderr)), 10000);
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const started = stderr.match(/"event":"started".*"port":"(\d+)"/);
      if (started && !child.url) {
        child.url = `http://127.0.0.1:${started[1]}`;
        clearTimeout(timer);
        resolveStart({ child, dir });
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${stderr}`)));
  });
}

function cpuTicks(pid) {
  // Fields after the command name: utime is the 14th field, stime the 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]), sys: Number(fields[12]) };
}

function peakRssMb(pid) {
  const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/);
  return match ? Number(match[1]) / 1024 : NaN;
}

const SYSCALL_EVENTS = ['raw_syscalls:sys_enter', 'syscalls:sys_enter_sendmsg', 'syscalls:sys_enter_write',
  'syscalls:sys_enter_writev', 'syscalls:sys_enter_sendto', 'syscalls:sys_enter_recvmsg',
  'syscalls:sys_enter_read', 'syscalls:sys_enter_readv', 'syscalls:sys_enter_recvfrom'];

// perf stat attached to the server for the lives only; resolves to counts per event, or null.
function countSyscalls(pid) {
  const out = join(tmpdir(), `cohort-bench-perf-${pid}.csv`);
  const perf = spawn('perf', ['stat', '-x,', '-o', out, '-p', String(pid), '-e', SYSCALL_EVENTS.join(',')],
    { stdio: 'ignore' });
  let failed = false;
  perf.once('error', () => { failed = true; });
  return {
    ready: new Promise((r) => setTimeout(r, 300)),  // perf attaches before the lives begin
    async stop() {
      if (failed) return null;
      const exited = new Promise((r) => perf.once('exit', r));
      perf.kill('SIGINT');
      await exited;
      if (!existsSync(out)) return null;
      const counts = {};
      for (const line of readFileSync(out, 'utf8').split('\n')) {
        const [value, , event] = line.split(',');
        if (event && /^\d+$/.test(value)) counts[event] = Number(value);
      }
      rmSync(out, { force: true });
      return counts['raw_syscalls:sys_enter'] === undefined ? null : counts;
    },
  };
}

async function metricsText(url) {
  const answer = await fetch(url + '/metrics');
  return answer.text();
}

// The cumulative buckets of one histogram in a Prometheus text exposition.
function histogram(text, name) {
  const buckets = [];
  for (const match of text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`, 'gm'))) {
    buckets.push({ le: match[1] === '+Inf' ? Infinity : Number(match[1]), count: Number(match[2]) });
  }
  return buckets;
}

// histogram_quantile over the observations between two readings, in ms (as Prometheus does it).
function histogramQuantileMs(before, after, q) {
  if (!after.length) return NaN;
  const counts = after.map((b, i) => ({ le: b.le, count: b.count - (before[i]?.count ?? 0) }));
  const total = counts[counts.length - 1].count;
  if (!total) return NaN;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const bucket of counts) {
    if (bucket.count >= rank) {
      if (bucket.le === Infinity) return lower * 1000;
      const inBucket = bucket.count - below;
      return (lower + (bucket.le - lower) * (inBucket ? (rank - below) / inBucket : 0)) * 1000;
    }
    lower = bucket.le;
    below = bucket.count;
  }
  return lower * 1000;
}

function percentile(sorted, q) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

class Participant {
  constructor(url, id) {
    this.id = id;
    this.events = [];
    this.waiters = [];
    this.socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: 20000 });
    this.socket.onAny((event, payload) => {
      this.events.push({ event, payload, at: performance.now() });
      this.waiters = this.waiters.filter((w) => !w());
    });
  }

  connected() {
    return new Promise((resolveConnect, reject) => {
      this.socket.once('connect', resolveConnect);
      this.socket.once('connect_error', reject);
    });
  }

  waitFor(event, from = 0, match = () => true, timeoutMs = 60000) {
    return new Promise((resolveWait, reject) => {
      const check = () => {
        const found = this.events.slice(from).find((e) => e.event === event && match(e.payload));
        if (found) { clearTimeout(timer); resolveWait(found); return true; }
        return false;
      };
      const timer = setTimeout(() => reject(new Error(`${this.id}: no ${event}; got ${this.events.map((e) => e.event)}`)),
        timeoutMs);
      if (!check()) this.waiters.push(check);
    });
  }

  async untilJoin() {
    await this.connected();
    this.socket.emit('register_subject', { subject_id: this.id });
    await this.waitFor('registered');
    await this.waitFor('activate_scene');
    const mark = this.events.length;
    this.socket.emit('advance_scene', {});
    await this.waitFor('activate_scene', mark, (p) => p.scene_id === 'room');
  }

  async fromJoin() {
    this.joinedAt = performance.now();
    this.socket.emit('join_game', {});
    const assigned = (await this.waitFor('pyodide_player_assigned')).payload;
    this.readyAt = (await this.waitFor('pyodide_game_ready')).at;
    const start = (await this.waitFor('start_game')).payload;
    this.game = start.game_id;
    this.player = assigned.player_id;
    return this;
  }

  // One relayed action each way, then the first player leaves and the other is told.
  async play(partner) {
    const leader = String(this.player) < String(partner.player);
    if (leader) {
      this.socket.emit('pyodide_player_action', { game_id: this.game, action: 1, frame_number: 1 });
      await this.waitFor('pyodide_other_player_action');
      this.socket.emit('leave_game', {});
      await this.waitFor('end_game');  // the leaver is told its own end (reason partner_left)
    } else {
      await this.waitFor('pyodide_other_player_action');
      this.socket.emit('pyodide_player_action', { game_id: this.game, action: 2, frame_number: 1 });
      await this.waitFor('end_game');
    }
    const mark = this.events.length;
    this.socket.emit('advance_scene', {});
    await this.waitFor('activate_scene', mark, (p) => p.scene_id === 'end');
    this.socket.disconnect();
  }
}

async function runLives(url, participants, round) {
  const people = Array.from({ length: participants }, (_, i) => new Participant(url, `r${round}-p${i}`));
  await Promise.all(people.map((p) => p.untilJoin()));
  await Promise.all(people.map((p) => p.fromJoin()));  // every join_game leaves in this tick
  const byGame = new Map();
  for (const p of people) byGame.set(p.game, [...(byGame.get(p.game) ?? []), p]);
  const spans = [];
  const plays = [];
  for (const pair of byGame.values()) {
    if (pair.length !== 2) throw new Error(`game with ${pair.length} players`);
    const trigger = Math.max(pair[0].joinedAt, pair[1].joinedAt);
    for (const p of pair) spans.push(p.readyAt - trigger);
    plays.push(pair[0].play(pair[1]), pair[1].play(pair[0]));
  }
  await Promise.all(plays);
  return spans;
}

async function measure(participants, countdownMs) {
  const { child, dir } = await startServer(config(countdownMs, participants));
  try {
    const rounds = Math.max(1, Math.ceil(roundsOf / participants));
    const histogramBefore = histogram(await metricsText(child.url), 'cohort_match_notify_seconds');
    const perf = countSyscalls(child.pid);
    await perf.ready;
    const cpuBefore = cpuTicks(child.pid);
    const spans = [];
    for (let round = 0; round < rounds; round++) spans.push(...await runLives(child.url, participants, round));
    const cpuAfter = cpuTicks(child.pid);
    const syscalls = await perf.stop();
    const histogramAfter = histogram(await metricsText(child.url), 'cohort_match_notify_seconds');
    const lives = participants * rounds;
    spans.sort((a, b) => a - b);
    const figures = {
      participants, countdown_ms: countdownMs, rounds, lives,
      ready_p50_ms: percentile(spans, 0.5), ready_p99_ms: percentile(spans, 0.99),
      server_ready_p50_ms: histogramQuantileMs(histogramBefore, histogramAfter, 0.5),
      server_ready_p99_ms: histogramQuantileMs(histogramBefore, histogramAfter, 0.99),
      cpu_user_ms_per_life: ((cpuAfter.user - cpuBefore.user) * 1000) / TICKS_PER_S / lives,
      cpu_sys_ms_per_life: ((cpuAfter.sys - cpuBefore.sys) * 1000) / TICKS_PER_S / lives,
      syscalls_per_life: syscalls ? syscalls['raw_syscalls:sys_enter'] / lives : 'n/a',
      send_per_life: syscalls ? ['sendmsg', 'write', 'writev', 'sendto']
        .reduce((sum, s) => sum + (syscalls[`syscalls:sys_enter_${s}`] ?? 0), 0) / lives : 'n/a',
      recv_per_life: syscalls ? ['recvmsg', 'read', 'readv', 'recvfrom']
        .reduce((sum, s) => sum + (syscalls[`syscalls:sys_enter_${s}`] ?? 0), 0) / lives : 'n/a',
      peak_rss_mb: peakRssMb(child.pid),
    };
    console.log(Object.entries(figures)
      .map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(3) : v}`).join(' '));
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const countdownMs of countdowns) {
  for (const participants of participantCounts) await measure(participants, countdownMs);
}
