/**
 * @module central/store/contract/derive
 * What both store implementations compute from a case the same way: the indexed columns
 * (responsible unit, registration time, open / with the unit, duplicate-search cell), the list
 * filter, and the duplicate-candidate test (the month
 * aggregates' definition is scoring's: scoring/indicators.ts). PostgreSQL keeps
 * the columns in its rows and evaluates the same definitions in SQL; the lowdb adapter calls
 * these functions. The contract suite checks both give the same answers.
 */
import type { CaseRecord } from '../../cases/model.js';
import { type CaseState, isOpen, isWithUnit } from '../../cases/workflow.js';
import { City } from '../../city/index.js';
import type { CaseFilter, CaseSummary, DuplicateQuery } from './index.js';
import { versionOf } from './index.js';

/** duplicate-search cell edge in degrees (~111 m of latitude) */
export const CELL_DEG = 0.001;
const M_PER_DEG = (6371008.8 * Math.PI) / 180;
/** beyond this many cells a search asks for the category's open cases instead */
export const MAX_CELLS = 400;

export interface CaseColumns {
  respUnit?: string;
  registeredAt?: string;
  open: boolean;
  withUnit: boolean;
  cellY?: number;
  cellX?: number;
}

export function columnsOf(c: CaseRecord): CaseColumns {
  const { lat, lon } = c.location;
  const hasPos = lat !== undefined && lon !== undefined;
  return {
    respUnit: c.evaluation?.unitId ?? c.unitId ?? c.proposedUnitId,
    registeredAt: c.history.find((h) => h.action === 'register')?.at,
    open: isOpen(c.state),
    withUnit: isWithUnit(c.state),
    cellY: hasPos ? Math.floor(lat / CELL_DEG) : undefined,
    cellX: hasPos ? Math.floor(lon / CELL_DEG) : undefined,
  };
}

/**
 * A case without its history, as a new object the caller may add to (a list adds the names in
 * place): one copy, where a spread after the rest made two.
 */
export function summaryOf(c: CaseRecord): CaseSummary {
  const { history, ...rest } = c;
  const s = rest as CaseSummary;
  s.version = versionOf(c);
  s.historyLength = history.length;
  return s;
}

/** The cell ranges a duplicate search covers, or undefined when the whole category is cheaper. */
export function cellRange(q: DuplicateQuery): { y0: number; y1: number; x0: number; x1: number } | undefined {
  if (q.lat === undefined || q.lon === undefined) return undefined;
  const dLat = (q.metres * 1.01) / M_PER_DEG;
  const cos = Math.cos((Math.min(90, Math.abs(q.lat) + dLat) * Math.PI) / 180);
  const dLon = cos > 1e-6 ? dLat / cos : 360;
  if (q.lon - dLon < -180 || q.lon + dLon > 180) return undefined;
  const r = {
    y0: Math.floor((q.lat - dLat) / CELL_DEG),
    y1: Math.floor((q.lat + dLat) / CELL_DEG),
    x0: Math.floor((q.lon - dLon) / CELL_DEG),
    x1: Math.floor((q.lon + dLon) / CELL_DEG),
  };
  return (r.y1 - r.y0 + 1) * (r.x1 - r.x0 + 1) > MAX_CELLS ? undefined : r;
}

/** The exact test after an index gave a superset: open, same category, same zone or near, in the window. */
export function isDuplicateCandidate(c: Omit<CaseRecord, 'history'>, q: DuplicateQuery): boolean {
  if (c.id === q.excludeId || !isOpen(c.state) || c.category !== q.category) return false;
  if (q.since && c.createdAt < q.since) return false;
  const sameZone =
    !!q.zoneId && c.refs.zoneId === q.zoneId && (c.refs.deviceId ?? null) === (q.deviceId ?? null);
  const { lat, lon } = c.location;
  const near =
    q.lat !== undefined &&
    q.lon !== undefined &&
    lat !== undefined &&
    lon !== undefined &&
    City.metres({ lat: q.lat, lon: q.lon }, { lat, lon }) <= q.metres;
  return sameZone || near;
}

export function matchesFilter(c: Omit<CaseRecord, 'history'>, f: CaseFilter): boolean {
  const v = f.visibleTo;
  return (
    (!v ||
      (v.unitId !== undefined && c.unitId === v.unitId) ||
      (v.reporterId !== undefined && c.reporter.id === v.reporterId)) &&
    (!f.states || f.states.includes(c.state)) &&
    (!f.unitId || c.unitId === f.unitId) &&
    (!f.gridCode || c.location.gridCode === f.gridCode) &&
    (!f.category || c.category === f.category) &&
    (!f.sources || f.sources.includes(c.source)) &&
    (!f.reporterId || c.reporter.id === f.reporterId) &&
    (!f.collectorId || c.reporter.collectorId === f.collectorId) &&
    (!f.createdFrom || Date.parse(c.createdAt) >= Date.parse(f.createdFrom)) &&
    (!f.createdTo || Date.parse(c.createdAt) < Date.parse(f.createdTo)) &&
    (!f.overdueAt || overdueAt(c, f.overdueAt)) &&
    (!f.notOverdueAt || !overdueAt(c, f.notOverdueAt)) &&
    (!f.caseNumberPrefix || (c.caseNumber?.startsWith(f.caseNumberPrefix) ?? false)) &&
    (!f.text || containsText(c, f.text)) &&
    (!f.before || c.id < f.before)
  );
}

const overdueAt = (c: Omit<CaseRecord, 'history'>, at: string) =>
  isWithUnit(c.state as CaseState) && !!c.deadline && Date.parse(c.deadline) < Date.parse(at);

function containsText(c: Omit<CaseRecord, 'history'>, text: string): boolean {
  const t = text.toLowerCase();
  return [c.caseNumber, c.location.address, c.description].some((f) => f?.toLowerCase().includes(t) ?? false);
}

/** Offline intervals overlapping [from, to) from a device's on/offline changes in time order. */
export function offlineIntervalsOf(
  changes: { at: string; online: boolean }[],
  from: string,
  to: string,
): { from: string; to?: string }[] {
  const out: { from: string; to?: string }[] = [];
  let openFrom: string | undefined;
  for (const ch of changes) {
    if (!ch.online && openFrom === undefined) openFrom = ch.at;
    else if (ch.online && openFrom !== undefined) {
      out.push({ from: openFrom, to: ch.at });
      openFrom = undefined;
    }
  }
  if (openFrom !== undefined) out.push({ from: openFrom });
  const f = Date.parse(from);
  const t = Date.parse(to);
  return out.filter((i) => Date.parse(i.from) < t && (i.to === undefined || Date.parse(i.to) > f));
}
