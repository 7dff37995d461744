/**
 * @module central/scoring/export
 * Tables a city office opens directly: CSV in UTF-8 with a byte-order mark (so Excel shows the
 * Chinese headers correctly) and CRLF line ends, and .xlsx through exceljs (bold header row,
 * frozen, column widths, rates as percentages). Column headers are Chinese.
 */
import ExcelJS from 'exceljs';

export type Cell = string | number | null | undefined;
export interface Column {
  key: string;
  header: string;
  /** a 0..1 ratio shown as a percentage */
  percent?: boolean;
}
export interface Table {
  /** sheet name and the UTF-8 file name: says the level or unit and the month in Chinese */
  title: string;
  /** the ASCII file name for clients without RFC 5987: kind, unit id and month, e.g. scores-dc-2026-11 */
  fileStem: string;
  columns: Column[];
  rows: Record<string, Cell>[];
}

const BOM = '\uFEFF';

function csvCell(v: Cell, percent?: boolean): string {
  if (v === null || v === undefined) return '';
  const s = percent && typeof v === 'number' ? `${(v * 100).toFixed(2)}%` : String(v);
  return /[",\r\n]/.test(s) || /^[=+\-@]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(t: Table): string {
  const lines = [t.columns.map((c) => csvCell(c.header)).join(',')];
  for (const r of t.rows) lines.push(t.columns.map((c) => csvCell(r[c.key], c.percent)).join(','));
  return `${BOM}${lines.join('\r\n')}\r\n`;
}

export async function toXlsx(tables: Table[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'citygrid 数字城管';
  for (const t of tables) {
    // Excel sheet names: ≤ 31 chars, none of : \ / ? * [ ]
    const ws = wb.addWorksheet(t.title.replace(/[:\\/?*[\]]/g, '-').slice(0, 31), {
      views: [{ state: 'frozen', ySplit: 1 }],
    });
    ws.columns = t.columns.map((c) => ({
      header: c.header,
      key: c.key,
      width: Math.min(40, Math.max(8, c.header.length * 2 + 2)),
      style: c.percent ? { numFmt: '0.00%' } : {},
    }));
    ws.getRow(1).font = { bold: true };
    for (const r of t.rows) ws.addRow(Object.fromEntries(t.columns.map((c) => [c.key, r[c.key] ?? null])));
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** Content-Disposition with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987). */
export function attachment(t: Pick<Table, 'title' | 'fileStem'>, ext: 'csv' | 'xlsx'): string {
  const ascii = t.fileStem.replace(/[^\w.-]+/g, '_');
  const utf8 = encodeURIComponent(`${t.title}.${ext}`).replace(
    /['()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}.${ext}"; filename*=UTF-8''${utf8}`;
}

/** An ISO instant as the city's local time (Asia/Shanghai, +08:00): `2026-11-02 09:00:00`. */
export function localTime(iso: string | undefined, utcOffsetMinutes = 480): string | undefined {
  const t = iso && iso.includes('T') ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(t)) return iso;
  return new Date(t + utcOffsetMinutes * 60_000).toISOString().slice(0, 19).replace('T', ' ');
}

export const CONTENT_TYPES = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
} as const;
