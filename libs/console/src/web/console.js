// The live console: call list and per-call transcript from /console/ws, plus the softphone.
import { Softphone } from '/console/softphone.js';

const $ = (id) => document.getElementById(id);
const calls = new Map(); // callSid -> { summary, entries }
let selected;
let requireApiKey = false;

async function postConsole(path) {
  const headers = {};
  if (requireApiKey) headers.authorization = `Bearer ${sessionStorage.getItem('console-api-key') ?? ''}`;
  const response = await fetch(path, { method: 'POST', headers });
  if (response.status === 401) {
    showLogin('API key refused');
    throw new Error('API key required');
  }
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

async function getToken() {
  return (await postConsole('/console/token')).token;
}

/** A softphone call minted by the gateway: { callSid, token }. */
function getSoftphoneCall() {
  return postConsole('/console/softphone');
}

function showLogin(message) {
  $('login').hidden = false;
  $('login-error').textContent = message ?? '';
}

async function connectFeed() {
  let token;
  try {
    token = await getToken();
  } catch {
    setConnection('locked', 'down');
    return;
  }
  $('login').hidden = true;
  const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/console/ws?console_token=${encodeURIComponent(token)}`);
  socket.onopen = () => setConnection('live', 'live');
  socket.onclose = () => {
    setConnection('reconnecting…', 'down');
    setTimeout(connectFeed, 2000);
  };
  socket.onmessage = (event) => onFeed(JSON.parse(event.data));
}

function setConnection(text, kind) {
  $('connection').textContent = text;
  $('connection').className = `pill ${kind}`;
}

function onFeed(message) {
  if (message.type === 'hello') {
    calls.clear();
    for (const call of message.calls) calls.set(call.callSid, { summary: call, entries: call.entries });
  } else if (message.type === 'calls') {
    for (const summary of message.calls) {
      const known = calls.get(summary.callSid);
      if (known) known.summary = summary;
      else calls.set(summary.callSid, { summary, entries: [] });
    }
  } else if (message.type === 'entry') {
    const call = calls.get(message.callSid) ?? { summary: { callSid: message.callSid, state: 'listening', durationMs: 0, profile: 'default' }, entries: [] };
    calls.set(message.callSid, call);
    call.entries.push(message.entry);
    if (message.entry.kind === 'ended') call.summary.state = 'ended';
  }
  if (!selected || !calls.has(selected)) {
    const live = [...calls.values()].reverse().find((c) => c.summary.state !== 'ended') ?? [...calls.values()].at(-1);
    selected = live?.summary.callSid;
  }
  render();
}

const STATE_LABEL = { connecting: 'connecting', listening: 'listening', 'caller-speaking': 'caller speaking', 'assistant-speaking': 'assistant speaking', 'tool-running': 'tool running', ended: 'ended' };
const WHO = { started: '', caller: 'caller', assistant: 'assistant', 'barge-in': 'barge-in', dtmf: 'key', tool: 'tool', transfer: 'transfer', voicemail: 'voicemail', recording: 'recording', error: 'error', ended: '' };

function render() {
  const body = $('calls').tBodies[0];
  body.replaceChildren();
  const ordered = [...calls.values()].sort((a, b) => (a.summary.state === 'ended') - (b.summary.state === 'ended') || (b.summary.startedAt ?? 0) - (a.summary.startedAt ?? 0));
  for (const { summary } of ordered) {
    const row = body.insertRow();
    row.className = `call ${summary.state}${summary.callSid === selected ? ' selected' : ''}`;
    row.dataset.callSid = summary.callSid;
    row.insertCell().textContent = summary.from ?? 'unknown';
    row.insertCell().textContent = formatDuration(summary.durationMs);
    row.insertCell().textContent = summary.profile;
    const state = document.createElement('span');
    state.className = `state ${summary.state}`;
    state.textContent = STATE_LABEL[summary.state] ?? summary.state;
    row.insertCell().append(state);
    row.onclick = () => {
      selected = summary.callSid;
      render();
    };
  }
  $('no-calls').hidden = calls.size > 0;
  const call = calls.get(selected);
  $('transcript-title').textContent = call ? `${call.summary.from ?? ''} · ${call.summary.callSid.slice(0, 10)}…` : '';
  const list = $('transcript');
  const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
  list.replaceChildren();
  const t0 = call?.entries[0]?.at ?? 0;
  for (const entry of call?.entries ?? []) {
    const item = document.createElement('li');
    item.className = entry.kind;
    const t = document.createElement('span');
    t.className = 't';
    t.textContent = `${((entry.at - t0) / 1000).toFixed(1)} s`;
    const who = document.createElement('span');
    who.className = 'who';
    who.textContent = WHO[entry.kind] ?? entry.kind;
    const text = document.createElement('span');
    text.className = 'text';
    text.textContent = entry.text;
    item.append(t, who, text);
    list.append(item);
  }
  if (atBottom) list.scrollTop = list.scrollHeight;
}

function formatDuration(ms = 0) {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

const softphone = new Softphone({
  getCall: getSoftphoneCall,
  onStatus: (text, stats) => {
    $('softphone-status').textContent = text;
    $('call-button').textContent = stats.state === 'idle' ? 'Call' : 'Hang up';
    $('call-button').className = stats.state === 'idle' ? '' : 'hangup';
    if (stats.callSid && stats.state !== 'idle') selected = stats.callSid;
    showStats(stats);
  },
  onStats: showStats,
});
window.softphone = softphone;

let statsFrame = 0;
function showStats(stats) {
  if (statsFrame) return;
  statsFrame = requestAnimationFrame(() => {
    statsFrame = 0;
    $('sent-ms').textContent = `${stats.sentMs} ms`;
    $('received-ms').textContent = `${Math.round(stats.receivedMs)} ms`;
    $('marks').textContent = String(stats.marksEchoed);
    $('clears').textContent = String(stats.clears);
    $('mic-level').style.width = `${Math.round(stats.micLevel * 100)}%`;
    $('out-level').style.width = `${Math.round(stats.outLevel * 100)}%`;
  });
}

$('call-button').onclick = async () => {
  if (softphone.active) return softphone.stop();
  try {
    await softphone.start();
  } catch (error) {
    softphone.stop(`could not start: ${error.message}`);
  }
};

$('login-button').onclick = () => {
  sessionStorage.setItem('console-api-key', $('api-key').value);
  connectFeed();
};

const settings = await fetch('/console/settings').then((r) => r.json());
requireApiKey = settings.requireApiKey;
if (requireApiKey && !sessionStorage.getItem('console-api-key')) showLogin();
else connectFeed();
