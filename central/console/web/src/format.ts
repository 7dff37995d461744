/** Times in Asia/Shanghai whatever the browser's zone; relative times never in the future. */
import { lang, t } from './i18n';

const TZ = 'Asia/Shanghai';
const fmt = (o: Intl.DateTimeFormatOptions) =>
  new Intl.DateTimeFormat(lang.value === 'en' ? 'en-GB' : 'zh-CN', { timeZone: TZ, hour12: false, ...o });

export function time(iso?: string): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return fmt({ year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(d);
}
export function clock(iso?: string): string {
  if (!iso) return '—';
  return fmt({ hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(new Date(iso));
}
/** YYYY-MM-DD of an instant in Shanghai */
export function localDay(d: Date | string): string {
  const p = new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' });
  return p.format(typeof d === 'string' ? new Date(d) : d);
}

/** "3 分钟前"; a clock ahead of ours (a device's skew) reads "刚刚", never "…后". */
export function ago(iso?: string, now = Date.now()): string {
  if (!iso) return '—';
  const s = Math.max(0, (now - new Date(iso).getTime()) / 1000);
  if (s < 60) return t('justNow');
  if (s < 3600) return t('minutesAgo', { n: Math.floor(s / 60) });
  if (s < 86400) return t('hoursAgo', { n: Math.floor(s / 3600) });
  return t('daysAgo', { n: Math.floor(s / 86400) });
}

export function duration(ms: number): string {
  const m = Math.floor(Math.abs(ms) / 60000);
  const d = Math.floor(m / 1440);
  if (d > 0) return t('durDays', { d, h: Math.floor((m % 1440) / 60) });
  return t('dur', { h: Math.floor(m / 60), m: m % 60 });
}

/** 案卷号 when central gave one, else a short tail of the id (never the whole ULID). */
export function caseNo(c: { id: string; caseNumber?: string }): string {
  return c.caseNumber ?? `#${c.id.slice(-6)}`;
}

export const pct = (x: number) => `${Math.round(x * 100)}%`;
