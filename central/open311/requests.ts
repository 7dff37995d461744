/**
 * @module central/open311/requests
 * Open311 GeoReport v2 requests as central's cases: the status view of a case, finding a
 * request by its id (the case's 案卷号, or the internal case id), the list filters of
 * `GET requests.json`, and opening an address-only request (no position: the operator sets the
 * grid while registering it).
 */
import { z } from 'zod';
import { nextCaseNumber } from '../cases/case-number.js';
import type { Actor, CaseRecord } from '../cases/model.js';
import { type NewCase, newCase } from '../cases/records.js';
import type { CaseService } from '../cases/service.js';
import { CASE_STATE_NAMES, isOpen } from '../cases/workflow.js';
import { ProblemError } from '../http/problem.js';
import type { CaseFilter } from '../store/contract/index.js';

/** The spec's window when no dates are given, and its cap on a list. */
const DEFAULT_DAYS = 90;
const MAX_LIST = 1000;

export const ListQuery = z.strictObject({
  jurisdiction_id: z.string().max(64).optional(),
  service_request_id: z.string().max(4000).optional(),
  service_code: z
    .string()
    .regex(/^\d{2}\.\d{2}(,\d{2}\.\d{2})*$/, 'service_code: category codes such as 01.02, comma-separated')
    .optional(),
  start_date: z.iso.datetime({ offset: true }).optional(),
  end_date: z.iso.datetime({ offset: true }).optional(),
  status: z
    .string()
    .regex(/^(open|closed)(,(open|closed))*$/, 'status: open, closed or open,closed')
    .optional(),
});
export type ListQuery = z.infer<typeof ListQuery>;

/** A request as listed or read: the case without its history is enough. */
type OpenCase = Omit<CaseRecord, 'history'>;

export const requestId = (c: Pick<CaseRecord, 'caseNumber' | 'id'>): string => c.caseNumber ?? c.id;

/** An Open311 request by its id: the 案卷号 it was given, or the case id. */
export async function findRequest(svc: CaseService, id: string): Promise<OpenCase | undefined> {
  const direct: OpenCase | undefined = (await svc.store.cases.get(id))?.case;
  const k =
    direct ??
    (
      await svc.store.cases.list({ sources: ['open311'], caseNumberPrefix: id }, { offset: 0, limit: 2 })
    ).items.find((c) => c.caseNumber === id);
  return k?.source === 'open311' ? k : undefined;
}

export function statusView(svc: CaseService, c: OpenCase) {
  return {
    service_request_id: requestId(c),
    status: isOpen(c.state) ? 'open' : 'closed',
    status_notes: c.rejection ? `不予立案 rejected: ${c.rejection.reason}` : c.state,
    service_name: svc.city.categoryName(c.category),
    service_code: c.category,
    description: c.description,
    agency_responsible: c.unitId ? svc.city.units.get(c.unitId)?.name : undefined,
    requested_datetime: c.createdAt,
    updated_datetime: c.updatedAt,
    expected_datetime: c.deadline,
    address: c.location.address,
    lat: c.location.lat,
    long: c.location.lon,
    media_url: c.refs.mediaUrl,
  };
}

/** `GET requests.json`: a list of ids wins over every other filter, as the spec says. */
export async function listRequests(svc: CaseService, q: ListQuery, now: Date): Promise<OpenCase[]> {
  if (q.service_request_id) {
    const ids = q.service_request_id.split(',').filter(Boolean);
    const found = await Promise.all(ids.map((id) => findRequest(svc, id)));
    return found.filter((k) => k !== undefined);
  }
  const end = q.end_date ? Date.parse(q.end_date) : now.getTime();
  const start = q.start_date ? Date.parse(q.start_date) : end - DEFAULT_DAYS * 86_400_000;
  if (q.start_date && q.end_date) {
    if (start > end) throw new ProblemError(400, 'bad-dates', 'start_date is after end_date');
    if (end - start > DEFAULT_DAYS * 86_400_000)
      throw new ProblemError(
        400,
        'bad-dates',
        `start_date to end_date may not span more than ${DEFAULT_DAYS} days`,
      );
  }
  const wanted = new Set(q.status?.split(',') ?? ['open', 'closed']);
  const states = CASE_STATE_NAMES.filter((st) => wanted.has(isOpen(st) ? 'open' : 'closed'));
  const base: CaseFilter = {
    sources: ['open311'],
    states,
    createdFrom: new Date(start).toISOString(),
    // end_date is inclusive
    createdTo: new Date(end + 1).toISOString(),
  };
  const page = { offset: 0, limit: MAX_LIST };
  const lists = await Promise.all(
    (q.service_code?.split(',') ?? [undefined]).map((category) =>
      svc.store.cases.list(category ? { ...base, category } : base, page),
    ),
  );
  return lists
    .flatMap((l) => l.items)
    .sort((a, b) => (a.id < b.id ? 1 : -1))
    .slice(0, MAX_LIST);
}

/** A request with an address and no position: a case without a grid, which registration sets. */
export async function addressOnlyCase(svc: CaseService, n: NewCase, actor: Actor): Promise<CaseRecord> {
  if (!svc.city.categories.has(n.category))
    throw new ProblemError(422, 'unknown-category', `unknown category ${n.category}`);
  const now = svc.now();
  const c = newCase(svc.city, n, actor, now, 'address only: the operator sets the grid while registering');
  c.caseNumber = await nextCaseNumber(svc.store.cases, svc.city.calendar.utcOffsetMinutes, now);
  return c; // without a position nothing is near it: no duplicate candidates
}
