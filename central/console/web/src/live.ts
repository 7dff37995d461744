/**
 * Live case changes: server-sent events read with fetch (the token stays in a header). If the
 * stream cannot be opened twice in a row the console polls the case list every 5 s instead.
 */
import { ref } from 'vue';
import { api, items, token } from './api';

export interface CaseEvent {
  id: string;
  state: string;
  source: string;
  unitId?: string;
  updatedAt: string;
}
export const liveMode = ref<'off' | 'sse' | 'poll'>('off');
const listeners = new Set<(e: CaseEvent) => void>();
let abort: AbortController | undefined;
let pollTimer: ReturnType<typeof setInterval> | undefined;

export function onCase(fn: (e: CaseEvent) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
const emit = (e: CaseEvent) => {
  for (const f of listeners) f(e);
};

export function startLive(): void {
  stopLive();
  abort = new AbortController();
  void stream(abort.signal);
}
export function stopLive(): void {
  abort?.abort();
  clearInterval(pollTimer);
  pollTimer = undefined;
  liveMode.value = 'off';
}

async function stream(signal: AbortSignal): Promise<void> {
  let failures = 0;
  while (!signal.aborted) {
    try {
      const res = await fetch('/api/console/events', {
        headers: { authorization: `Bearer ${token()}`, accept: 'text/event-stream' },
        signal,
      });
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      liveMode.value = 'sse';
      failures = 0;
      clearInterval(pollTimer);
      pollTimer = undefined;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          parse(buf.slice(0, i));
          buf = buf.slice(i + 2);
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

function parse(block: string): void {
  let event = 'message';
  let data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data += line.slice(5).trim();
  }
  if (event !== 'case' || !data) return;
  try {
    emit(JSON.parse(data));
  } catch {
    // a malformed event is skipped; the next refresh shows the truth
  }
}

function startPolling(): void {
  liveMode.value = 'poll';
  const seen = new Map<string, string>();
  let first = true;
  const tick = async () => {
    try {
      for (const c of items<CaseEvent>(await api.cases({ limit: 100 }))) {
        if (!first && seen.get(c.id) !== c.updatedAt) emit(c);
        seen.set(c.id, c.updatedAt);
      }
      first = false;
    } catch {
      // next tick
    }
  };
  void tick();
  pollTimer = setInterval(tick, 5000);
}
