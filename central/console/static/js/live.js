/**
 * @module console/live
 * Live case changes: server-sent events from `/api/console/events` read with fetch (so the
 * bearer token travels in a header, not the URL). If the stream is unavailable the console
 * falls back to polling the case list every few seconds and says so in the header.
 */
import { api, items, token } from './api.js';

const listeners = new Set();
let mode = 'off';
let abort;
let pollTimer;
const statusListeners = new Set();

export function onCaseEvent(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
export function onLiveStatus(fn) {
  statusListeners.add(fn);
  fn(mode);
}
function setMode(m) {
  mode = m;
  for (const f of statusListeners) f(m);
}
function emit(e) {
  for (const f of listeners) f(e);
}

export function startLive() {
  stopLive();
  abort = new AbortController();
  void stream(abort.signal);
}
export function stopLive() {
  abort?.abort();
  clearInterval(pollTimer);
  pollTimer = undefined;
  setMode('off');
}

async function stream(signal) {
  let failures = 0;
  while (!signal.aborted) {
    try {
      const res = await fetch('/api/console/events', {
        headers: { authorization: `Bearer ${token()}`, accept: 'text/event-stream' },
        signal,
      });
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      setMode('sse');
      failures = 0;
      clearInterval(pollTimer);
      pollTimer = undefined;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let i = buf.indexOf('\n\n');
        while (i >= 0) {
          parseEvent(buf.slice(0, i));
          buf = buf.slice(i + 2);
          i = buf.indexOf('\n\n');
        }
      }
    } catch {
      if (signal.aborted) return;
      failures++;
    }
    if (failures >= 2 && !pollTimer) startPolling();
    await new Promise((r) => setTimeout(r, Math.min(30_000, 1000 * 2 ** failures)));
  }
}

function parseEvent(block) {
  let event = 'message';
  let data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data += line.slice(5).trim();
  }
  if (event === 'case' && data) {
    try {
      emit(JSON.parse(data));
    } catch {
      // a malformed event is skipped; the next refresh shows the truth
    }
  }
}

/** Fallback: compare the newest cases' updatedAt every 5 s and emit what changed. */
function startPolling() {
  setMode('poll');
  const seen = new Map();
  let first = true;
  const tick = async () => {
    try {
      const list = items(await api.cases({ limit: 100 }));
      for (const c of list) {
        if (!first && seen.get(c.id) !== c.updatedAt)
          emit({
            type: 'case',
            id: c.id,
            state: c.state,
            source: c.source,
            unitId: c.unitId,
            updatedAt: c.updatedAt,
          });
        seen.set(c.id, c.updatedAt);
      }
      first = false;
    } catch {
      // try again next tick
    }
  };
  void tick();
  pollTimer = setInterval(tick, 5000);
}
