// mug's client's events, in its order (index.js, pyodide_multiplayer_game.js), without Pyodide:
// the page shows what it was told so that the browser test can read it.
const socket = io({ transports: ['websocket'] });
const show = (id, text) => { document.getElementById(id).textContent = text; };
let playerId = null;
let gameId = null;
let restored = false;

show('subject', subjectName);
window.received = [];  // the events' names, for the test's messages
socket.onAny((event) => window.received.push(event));
socket.on('connect', () => socket.emit('register_subject', { subject_id: subjectName, mugGlobals: {} }));
socket.on('experiment_config', (config) => { window.experimentConfig = config; });
socket.on('activate_scene', (scene) => {
  show('sceneHeader', scene.scene_header || '');
  show('status', 'scene ' + scene.scene_type);
  document.getElementById('advanceButton').hidden = scene.scene_type === 'GymScene';
  document.getElementById('startButton').hidden = scene.scene_type !== 'GymScene';
});
document.getElementById('advanceButton').onclick = () => socket.emit('advance_scene', { session_id: null });
document.getElementById('startButton').onclick = () => {
  document.getElementById('startButton').hidden = true;
  socket.emit('join_game', { session_id: null });
};
socket.on('waiting_room', (room) => {
  show('waitroomText', `${room.cur_num_players} waiting, ${room.players_needed} more needed, ${Math.round(room.ms_remaining / 1000)} s left`);
});
socket.on('match_found_countdown', (countdown) => show('waitroomText', `starting in ${countdown.countdown_seconds} s`));
socket.on('pyodide_player_assigned', (assigned) => { playerId = assigned.player_id; gameId = assigned.game_id; });
// pmg.js reports its P2P validation once the game is ready (no WebRTC here), then waits.
socket.on('pyodide_game_ready', () => {
  if (!restored) socket.emit('p2p_validation_success', { game_id: gameId, player_id: playerId });
});
// Back after a refresh: the game goes on (start_game when the old socket was still open,
// p2p_resume when its close had paused the game).
socket.on('session_restored', () => { restored = true; });
socket.on('p2p_resume', (resume) => show('status', `playing game ${resume.game_id} as player ${playerId} (resumed)`));
socket.on('start_game', (start) => {
  show('status', `playing game ${start.game_id} as player ${playerId} in ${start.scene_metadata.scene_type}`);
});
socket.on('duplicate_session', () => { show('status', 'duplicate session'); socket.disconnect(); });
socket.on('error', (error) => show('status', 'error ' + error.code));
