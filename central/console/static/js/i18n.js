/**
 * @module console/i18n
 * zh-CN by default, English switchable; one dictionary file per language under /console/i18n/.
 * Dates and numbers go through Intl in the chosen locale.
 */
import en from '../i18n/en.js';
import zh from '../i18n/zh-CN.js';

const DICTS = { 'zh-CN': zh, en };
let lang = localStorage.getItem('cg.lang') in DICTS ? localStorage.getItem('cg.lang') : 'zh-CN';

export function getLang() {
  return lang;
}
export function setLang(l) {
  lang = l in DICTS ? l : 'zh-CN';
  localStorage.setItem('cg.lang', lang);
  document.documentElement.lang = lang;
}
document.documentElement.lang = lang;

/** t('queue.confirm', { n: 3 }) — falls back to zh-CN, then the key itself. */
export function t(key, vars) {
  let s = DICTS[lang][key] ?? zh[key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

/** A label from the server's vocabulary ({ zh, en }) in the current language. */
export function label(entry, fallback = '') {
  if (!entry) return fallback;
  return lang === 'en' ? (entry.en ?? entry.zh ?? fallback) : (entry.zh ?? entry.en ?? fallback);
}

export function fmtDateTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat(lang, { dateStyle: 'short', timeStyle: 'medium' }).format(d);
}
export function fmtTime(iso) {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(lang, { timeStyle: 'medium' }).format(new Date(iso));
}
export function fmtNum(n, digits = 0) {
  if (n === undefined || n === null || Number.isNaN(Number(n))) return '—';
  return new Intl.NumberFormat(lang, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(
    n,
  );
}
export function fmtPct(x, digits = 1) {
  if (x === undefined || x === null || Number.isNaN(Number(x))) return '—';
  return new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: digits }).format(x);
}
/** "3 分钟前" / "3 minutes ago" */
export function fmtAgo(iso) {
  if (!iso) return '—';
  const s = (new Date(iso).getTime() - Date.now()) / 1000;
  const rtf = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
  const a = Math.abs(s);
  if (a < 60) return rtf.format(Math.round(s), 'second');
  if (a < 3600) return rtf.format(Math.round(s / 60), 'minute');
  if (a < 86400) return rtf.format(Math.round(s / 3600), 'hour');
  return rtf.format(Math.round(s / 86400), 'day');
}
