/**
 * @module edge/vehicle/can/frame
 * A CAN frame as every CAN stage sees it, and candump's text layouts for replaying recorded logs
 * and for offline analysis: `-L` (`(ts) can0 ID#DATA`) and the default one printed on a terminal
 * (`can0  0CF00400   [8]  20 7D 87 ...`, with `(ts)` in front when run with `-t`).
 */
export interface CanFrame {
  id: number;
  /** 29-bit identifier */
  ext: boolean;
  /** remote transmission request: no data */
  rtr: boolean;
  data: Uint8Array;
  /** receive time, ms since epoch (from the log or the host clock) */
  t?: number;
}

const hexBytes = (s: string): Uint8Array | undefined => {
  if (s.length % 2 || s.length > 16 || !/^[0-9A-Fa-f]*$/.test(s)) return undefined;
  return Uint8Array.from(Buffer.from(s, 'hex'));
};

const DEFAULT_LAYOUT =
  /^\s*(?:\((\d+(?:\.\d+)?)\)\s+)?\S+\s+([0-9A-Fa-f]{3}|[0-9A-Fa-f]{8})\s+\[(\d)\]\s+((?:[0-9A-Fa-f]{2}(?:\s+|$))*|remote request)\s*$/;

/** candump's default layout: `can0  0CF00400   [8]  20 7D ...` or `can0  123   [2]  remote request`. */
function parseDefaultLayout(line: string): CanFrame | string {
  const m = DEFAULT_LAYOUT.exec(line);
  if (!m) return 'not a candump line';
  const ext = m[2].length === 8;
  const id = Number.parseInt(m[2], 16);
  if (ext ? id > 0x1fffffff : id > 0x7ff) return 'identifier out of range';
  const t = m[1] === undefined ? undefined : Math.round(Number(m[1]) * 1000);
  const dlc = Number(m[3]);
  if (m[4] === 'remote request') return { id, ext, rtr: true, data: new Uint8Array(0), t };
  const data = hexBytes(m[4].replace(/\s+/g, ''));
  if (!data || data.length !== dlc || dlc > 8) return 'bad data bytes';
  return { id, ext, rtr: false, data, t };
}

/** One candump log line (`-L` or the default layout) → frame, or a reason string when it is not one. */
export function parseCandumpLine(line: string): CanFrame | string {
  const m = /^\s*\((\d+(?:\.\d+)?)\)\s+\S+\s+([0-9A-Fa-f]{3}|[0-9A-Fa-f]{8})#(R\d?|[0-9A-Fa-f]*)\s*$/.exec(
    line,
  );
  if (!m) return parseDefaultLayout(line);
  const ext = m[2].length === 8;
  const id = Number.parseInt(m[2], 16);
  if (ext ? id > 0x1fffffff : id > 0x7ff) return 'identifier out of range';
  const t = Math.round(Number(m[1]) * 1000);
  if (m[3].startsWith('R')) return { id, ext, rtr: true, data: new Uint8Array(0), t };
  const data = hexBytes(m[3]);
  return data ? { id, ext, rtr: false, data, t } : 'bad data bytes';
}

/** Frame → candump line, for the simulator's logs and tests. */
export function formatCandumpLine(f: CanFrame, iface = 'can0'): string {
  const id = f.id
    .toString(16)
    .toUpperCase()
    .padStart(f.ext ? 8 : 3, '0');
  const body = f.rtr ? 'R' : Buffer.from(f.data).toString('hex').toUpperCase();
  return `(${((f.t ?? 0) / 1000).toFixed(6)}) ${iface} ${id}#${body}`;
}
