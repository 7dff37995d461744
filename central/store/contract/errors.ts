/**
 * @module central/store/contract/errors
 * The typed failures every storage implementation throws, so the API maps them the same way
 * whatever the store: a stale write → 409, a lost unique race → the duplicate it is, a month
 * closed by someone else → 409, the database unreachable → 503 (never a 500).
 */

/** A case was changed by someone else since it was read (optimistic concurrency). */
export class StaleVersion extends Error {
  override name = 'StaleVersion';
  constructor(
    readonly caseId: string,
    readonly expected: number,
    readonly actual: number | undefined,
  ) {
    super(
      actual === undefined
        ? `case ${caseId} does not exist (expected version ${expected})`
        : `case ${caseId} is at version ${actual}, the write expected ${expected}`,
    );
  }
}

/** The record exists already: an idempotency key, an incident revision, a case id written twice. */
export class Duplicate extends Error {
  override name = 'Duplicate';
  constructor(
    readonly what: 'case' | 'incident-revision' | 'idempotency-key' | 'gateway-config' | 'evidence',
    readonly key: string,
  ) {
    super(`${what} ${key} exists already`);
  }
}

/** A revision of an incident id that another gateway published first. */
export class IncidentOwnedElsewhere extends Error {
  override name = 'IncidentOwnedElsewhere';
  constructor(
    readonly incidentId: string,
    readonly owner: string,
    readonly gatewayId: string,
  ) {
    super(`incident ${incidentId} belongs to gateway ${owner}, not ${gatewayId}`);
  }
}

/** The month is closed already: by whom and when (another instance may have won the race). */
export class MonthAlreadyClosed extends Error {
  override name = 'MonthAlreadyClosed';
  constructor(
    readonly month: string,
    readonly closedBy: string,
    readonly closedAt: string,
  ) {
    super(`month ${month} was closed by ${closedBy} at ${closedAt}`);
  }
}

/** A bonus item is no longer in the state a write expected (someone decided or changed it first). */
export class BonusChanged extends Error {
  override name = 'BonusChanged';
  constructor(
    readonly bonusId: string,
    readonly expected: string,
    readonly actual: string | undefined,
  ) {
    super(`bonus item ${bonusId} is ${actual ?? 'absent'}, not ${expected}`);
  }
}

export class MonthNotClosed extends Error {
  override name = 'MonthNotClosed';
  constructor(readonly month: string) {
    super(`month ${month} is not closed`);
  }
}

/** The database cannot be reached (or dropped the connection): retry later, answer 503. */
export class StoreUnavailable extends Error {
  override name = 'StoreUnavailable';
  constructor(
    readonly target: string,
    readonly reason: string,
  ) {
    super(`storage ${target} is unavailable: ${reason}`);
  }
}

/**
 * The revision before this one is not stored yet (it is on its way through another instance, or
 * held by one that died until its messages are redelivered): retry this one later.
 */
export class PredecessorPending extends Error {
  override name = 'PredecessorPending';
  constructor(
    readonly incidentId: string,
    readonly rev: number,
  ) {
    super(`incident ${incidentId} rev ${rev}: rev ${rev - 1} not stored yet, retrying later`);
  }
}

/** A schema migration failed: central refuses to start and names it. */
export class MigrationFailed extends Error {
  override name = 'MigrationFailed';
  constructor(
    readonly migration: string,
    readonly reason: string,
  ) {
    super(`migration ${migration} failed: ${reason}`);
  }
}

/** HTTP status the API answers for a storage error (undefined: not a storage error). */
export function statusOfStoreError(e: unknown): number | undefined {
  if (
    e instanceof StaleVersion ||
    e instanceof MonthAlreadyClosed ||
    e instanceof MonthNotClosed ||
    e instanceof BonusChanged
  )
    return 409;
  if (e instanceof Duplicate) return 409;
  if (e instanceof IncidentOwnedElsewhere) return 422;
  if (e instanceof StoreUnavailable) return 503;
  return undefined;
}
