// The Cohort dashboard: renders the updates of GET /admin/events (server-sent events, sent
// within a quarter second of a commit), opens timelines from GET /admin/timeline, and sends the
// researcher's controls to POST /admin/actions/* with the page's CSRF token.
'use strict';

const $ = (id) => document.getElementById(id);
const escape = (text) => String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

function duration(ms) {
  if (ms == null) return '—';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

function subjectLink(id, connected) {
  const cls = connected === false ? 'subject gone' : 'subject';
  const title = connected === false ? ' title="not connected"' : '';
  return `<a class="${cls}" data-subject="${escape(id)}"${title}>${escape(id)}</a>`;
}

function waitroomControl(scene) {
  const id = escape(scene.scene_id);
  return scene.waitroom_closed
    ? `<span class="closed">closed</span> <button class="reopen-waitroom" data-scene="${id}">Reopen</button>`
    : `open <button class="close-waitroom" data-scene="${id}">Close waiting room</button>`;
}

function renderScenes(study) {
  $('scenes').innerHTML = study.scenes.map((scene) => `
    <tr data-scene="${escape(scene.scene_id)}"><td>${escape(scene.scene_id)}</td><td>${scene.type}</td>
    <td class="subjects">${scene.subjects}</td>
    <td class="waiting">${scene.type === 'game' ? scene.waiting : '—'}</td>
    <td class="longest-wait">${scene.type === 'game' ? duration(scene.longest_wait_ms) : '—'}</td>
    <td class="waitroom">${scene.type === 'game' ? waitroomControl(scene) : '—'}</td></tr>`).join('');
}

function renderPeople(study, server) {
  const s = study.subjects;
  const latency = server.commit_latency;
  const rows = [
    ['socket connections', server.connections, 'connections'],
    ['subjects connected', `${s.connected} of ${s.total}`, 'connected'],
    ['idle · waiting · in a game · done', `${s.idle} · ${s.waiting} · ${s.in_game} · ${s.done}`, 'by-state'],
    [`commit latency (last ${latency.window_s} s)`, latency.commits > 0
      ? `p50 ${latency.p50_ms.toFixed(2)} ms · p99 ${latency.p99_ms.toFixed(2)} ms · ${latency.commits} commits`
      : 'no commit', 'commit-latency'],
    ['records in the log', `${server.records_appended} appended since start · last seq ${study.last_seq}`, 'records'],
    ['invariant violations', server.violations, 'violations', server.violations > 0],
    ['failed commits', server.commit_failures, 'commit-failures', server.commit_failures > 0],
    ['rejected commands', server.rejected_commands, 'rejected'],
    ['relayed messages', server.relayed_messages, 'relayed'],
  ];
  $('people').innerHTML = rows.map(([label, value, key, bad]) =>
    `<dt>${label}</dt><dd id="figure-${key}"${bad ? ' class="bad"' : ''}>${escape(value)}</dd>`).join('');
}

function renderGames(study) {
  const games = study.games;
  $('games-counts').textContent = `${games.total} · ` +
    Object.entries(games.by_status).map(([status, n]) => `${status} ${n}`).join(' · ');
  $('games').innerHTML = games.list.map((game) => `
    <tr data-game="${game.game_id}"${game.game_id === openGame ? ' class="selected"' : ''}><td>${game.game_id}</td>
    <td>${escape(game.scene_id)}</td><td><span class="status ${game.status}">${game.status}</span></td>
    <td>${game.players.map((p) => subjectLink(p.subject_id, p.connected)).join(', ')}</td>
    <td>${duration(game.age_ms)}</td>
    <td><button class="end-game" data-end-game="${game.game_id}">End game</button></td></tr>`).join('') ||
    '<tr><td colspan="6" class="note">no live game</td></tr>';
  // The open timeline's game can be ended from there while it is live.
  const live = openGame != null && games.list.some((game) => game.game_id === openGame);
  $('timeline-end-game').hidden = !live;
  if (live) $('timeline-end-game').dataset.endGame = openGame;
  $('games-more').textContent = games.total > games.list.length
    ? `The ${games.list.length} oldest of ${games.total} are listed; find any other by its id above.` : '';
}

function renderEnded(study) {
  const ended = study.ended;
  $('ended-counts').textContent = `${ended.total} · ` +
    Object.entries(ended.by_reason).map(([reason, n]) => `${reason} ${n}`).join(' · ');
  $('ended').innerHTML = ended.recent.map((game) => `
    <tr data-game="${game.game_id}" data-ended-game="${game.game_id}"><td>${game.game_id}</td><td>${escape(game.scene_id)}</td>
    <td class="reason ${game.reason === 'normal' ? 'normal' : 'partial'}">${escape(game.reason)}</td>
    <td>${game.players.map((p) => subjectLink(p)).join(', ')}</td>
    <td>${duration(study.now - game.ended_at)} ago</td></tr>`).join('') || '<tr><td colspan="5" class="note">no game ended in the last hour</td></tr>';
}

function renderCap(study) {
  const cap = study.max_participants;
  $('cap-now').textContent = `${study.subjects.total} registered · ` + (cap == null ? 'no cap' : `cap ${cap}`);
  $('cap-now').classList.toggle('bad', cap != null && study.subjects.total >= cap);
}

function render(update) {
  const { study, server } = update;
  $('experiment').textContent = study.experiment_id;
  renderScenes(study);
  renderCap(study);
  renderPeople(study, server);
  renderGames(study);
  renderEnded(study);
  $('updated').textContent = `updated ${new Date(study.now).toLocaleTimeString()}`;
}

// --- live feed -----------------------------------------------------------------------------
let lastUpdate = 0;
function connect() {
  const events = new EventSource('events');
  events.onmessage = (message) => {
    lastUpdate = Date.now();
    $('live').textContent = 'live';
    $('live').classList.remove('off');
    render(JSON.parse(message.data));
  };
  events.onerror = () => {
    $('live').textContent = 'reconnecting…';
    $('live').classList.add('off');
  };
}
setInterval(() => {
  if (lastUpdate && Date.now() - lastUpdate > 3000) {
    $('live').textContent = 'no update for ' + duration(Date.now() - lastUpdate);
    $('live').classList.add('off');
  }
}, 1000);

// --- timelines -----------------------------------------------------------------------------
let openGame = null;
async function openTimeline(kind, id) {
  openGame = kind === 'game' ? Number(id) : null;
  if (kind === 'subject') $('exclude-subject').value = id;  // at hand, should they need excluding
  $('timeline-end-game').hidden = true;  // until an update says the game is live
  const panel = $('timeline-panel');
  panel.hidden = false;
  $('timeline-title').textContent = `${kind} ${id}`;
  $('timeline-command').textContent = `cohort-replay timeline LOG --${kind} ${id} --out ${kind}-${id}.svg`;
  $('timeline').innerHTML = '<p class="note">reading the log…</p>';
  const response = await fetch(`timeline?${kind}=${encodeURIComponent(id)}`);
  if (response.ok) {
    $('timeline').innerHTML = await response.text();  // SVG built by the server, every text escaped
  } else {
    let message = `${response.status}`;
    try { message = (await response.json()).message; } catch (e) { /* not JSON */ }
    $('timeline').innerHTML = `<p class="note">${escape(message)}</p>`;
  }
  panel.scrollIntoView({ behavior: 'smooth', block: 'start' });
}

// --- the researcher's controls -------------------------------------------------------------
// Each is a command to the engine; the answer comes once it is committed, and the page shows the
// change with the next update. Relative URLs: the dashboard may run under a proxy's path prefix.
const csrfToken = document.querySelector('meta[name="cohort-csrf"]')?.content || '';

async function act(action, body, question) {
  if (question && !window.confirm(question)) return;
  const result = $('action-result');
  result.classList.remove('bad');
  result.textContent = 'sending…';
  let answer = {};
  let status = 0;
  try {
    const response = await fetch(`actions/${action}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Cohort-CSRF': csrfToken },
      body: JSON.stringify(body),
    });
    status = response.status;
    answer = await response.json();
  } catch (error) {
    answer = { code: 'unreachable', message: String(error) };
  }
  // 401: the session is gone (the server restarted, or it expired); csrf_refused from this page:
  // the browser signed in again since the page was loaded, so its cookie names another session.
  // Either way nothing was done, and reloading the page is the way on.
  const stale = status === 401 || answer.code === 'csrf_refused';
  result.textContent = status === 200 ? `${action}: done (record ${answer.seq})`
    : stale ? `${action}: not done: this page's sign-in is no longer valid (signed in again, or the server restarted); reload the page`
      : `${action}: ${answer.code}: ${answer.message}`;
  result.classList.toggle('bad', status !== 200);
}

$('cap-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const cap = Number($('cap-value').value);
  if (!Number.isInteger(cap) || cap < 1) return;
  act('max-participants', { max_participants: cap }, `Take no registration of a new participant past ${cap}?`);
});
$('cap-lift').addEventListener('click', () => act('max-participants', { max_participants: null }));
$('exclude-form').addEventListener('submit', (event) => {
  event.preventDefault();
  // The id exactly as typed or picked: a subject id may begin or end with a space, and trimming
  // " bob" would exclude "bob", another participant, for good.
  const subject = $('exclude-subject').value;
  if (!subject) return;
  act('exclude-subject', { subject_id: subject, message: $('exclude-message').value },
    `Exclude ${JSON.stringify(subject)} from the study for good? Their game ends and they are sent to the end.`);
});

document.addEventListener('click', (event) => {
  const button = event.target.closest('button');
  if (button?.dataset.endGame) {
    return act('end-game', { game_id: Number(button.dataset.endGame) },
      `End game ${button.dataset.endGame} for every player?`);
  }
  if (button?.classList.contains('close-waitroom')) {
    return act('close-waitroom', { scene_id: button.dataset.scene },
      `Close the waiting room of ${button.dataset.scene}? Who waits stays; nobody new can join.`);
  }
  if (button?.classList.contains('reopen-waitroom')) return act('open-waitroom', { scene_id: button.dataset.scene });
  const subject = event.target.closest('a.subject');
  if (subject) return openTimeline('subject', subject.dataset.subject);
  const row = event.target.closest('tr[data-game]');
  if (row) return openTimeline('game', row.dataset.game);
});
$('timeline-close').addEventListener('click', () => { $('timeline-panel').hidden = true; openGame = null; });
$('find').addEventListener('submit', (event) => {
  event.preventDefault();
  const typed = $('find-id').value;
  if (/^\s*\d+\s*$/.test(typed)) openTimeline('game', typed.trim());
  else if (typed) openTimeline('subject', typed);  // exact, as for an exclusion
});

connect();
