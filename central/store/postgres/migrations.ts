/**
 * @module central/store/postgres/migrations
 * The schema as an ordered list of migrations, applied at start and recorded in
 * `schema_migrations` (name, time). Each runs in its own transaction under an advisory lock, so
 * two central instances starting at once apply it once; a failing one rolls back, is not
 * recorded, and `MigrationFailed` names it (central refuses to start). Never edit an applied
 * migration: add the next one.
 *
 * Indexes: one per list filter (state, unit, grid, category, source, reporter, collector,
 * creation time, overdue deadline), the confirmation queue (state + newest first), duplicate
 * search (open cases by category + cell, by category + camera zone), scoring (registration time
 * and deadline for the month aggregates, open cases and last change for the month's cases) and
 * the expiry sweeps, and the console dashboard (history by action + time, close time, AI cases).
 */
import type postgres from 'postgres';
import { MigrationFailed } from '../contract/errors.js';
import { isConnectionError } from './errors.js';

export interface Migration {
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    name: '001_cases',
    sql: `
create table cases (
  id text primary key,
  version integer not null,
  state text not null,
  category text not null,
  source text not null,
  unit_id text,
  resp_unit text,
  grid_code text,
  reporter_id text not null,
  collector_id text,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  deadline timestamptz,
  closed_at timestamptz,
  registered_at timestamptz,
  on_time boolean,
  reworks integer not null default 0,
  returns integer not null default 0,
  is_open boolean not null,
  with_unit boolean not null,
  cell_y integer,
  cell_x integer,
  device_id text,
  zone_id text,
  history_length integer not null,
  doc jsonb not null
);
create index cases_state_id on cases (state, id desc);
create index cases_unit_id on cases (unit_id, id desc);
create index cases_grid_id on cases (grid_code, id desc);
create index cases_category_id on cases (category, id desc);
create index cases_source_id on cases (source, id desc);
create index cases_reporter_id on cases (reporter_id, id desc);
create index cases_collector_id on cases (collector_id, id desc) where collector_id is not null;
create index cases_created on cases (created_at);
create index cases_overdue on cases (deadline) where with_unit;
create index cases_open_cell on cases (category, cell_y, cell_x) where is_open;
create index cases_open_zone on cases (category, device_id, zone_id) where is_open and zone_id is not null;
create index cases_open_created on cases (created_at) where is_open;
create index cases_registered on cases (registered_at);
create index cases_deadline on cases (deadline);

create table case_history (
  case_id text not null references cases (id),
  seq integer not null,
  at timestamptz not null,
  action text not null,
  entry jsonb not null,
  primary key (case_id, seq)
);
create index case_history_at on case_history (at);

create table case_evidence (
  name text not null,
  case_id text not null references cases (id),
  primary key (name, case_id)
);

create table incidents (
  id text primary key,
  gateway_id text not null,
  case_id text not null,
  first_seen_at timestamptz not null,
  doc jsonb not null
);
create table incident_revisions (
  incident_id text not null references incidents (id),
  rev integer not null,
  lifecycle text not null,
  received_at timestamptz not null,
  primary key (incident_id, rev)
);

create table idempotency (
  key text primary key,
  user_id text not null,
  request_sha256 text not null,
  status integer not null,
  case_id text not null,
  at timestamptz not null,
  expires_at timestamptz not null
);
create index idempotency_expires on idempotency (expires_at);

create table notifications (
  seq bigserial primary key,
  at timestamptz not null default now(),
  case_id text not null,
  version integer not null,
  state text not null
);

create table attachments (
  name text primary key,
  doc jsonb not null
);
`,
  },
  {
    name: '002_scoring_devices_configs',
    sql: `
create table scoring_bonuses (id text primary key, month text not null, doc jsonb not null);
create index scoring_bonuses_month on scoring_bonuses (month);
create table scoring_month_configs (month text primary key, doc jsonb not null);
create table scoring_audit (seq bigserial primary key, at timestamptz not null, doc jsonb not null);
create table scoring_closed (month text primary key, closed_at timestamptz not null, doc jsonb not null);
create table scoring_reopened (
  month text not null,
  reopened_at timestamptz not null,
  doc jsonb not null,
  primary key (month, reopened_at)
);

create table device_gateways (gateway_id text primary key, last_sent_at timestamptz not null, doc jsonb not null);
create table device_online (
  gateway_id text not null,
  device_id text not null,
  at timestamptz not null,
  online boolean not null,
  primary key (gateway_id, device_id, at)
);
create table device_calls (seq bigserial primary key, gateway_id text not null, doc jsonb not null);
create index device_calls_gateway on device_calls (gateway_id, seq);
create table vehicle_tracks (vehicle_id text primary key, doc jsonb not null);

create table gateway_configs (
  gateway_id text not null,
  version integer not null,
  doc jsonb not null,
  primary key (gateway_id, version)
);
`,
  },
  {
    // scoring reads a month's cases as those alive in it: open, or changed since its start
    name: '003_scoring_month_cases',
    sql: `create index cases_updated on cases (updated_at);`,
  },
  {
    name: '004_case_numbers',
    sql: `
alter table cases add column case_number text;
update cases set case_number = doc->>'caseNumber';
create index cases_case_number on cases (case_number text_pattern_ops);
create table case_numbers (day text primary key, seq integer not null);
insert into case_numbers (day, seq)
  select left(case_number, 8), max(substr(case_number, 9)::integer) from cases
  where case_number ~ '^[0-9]{13,}$' group by 1;
`,
  },
  {
    // the console dashboard's GROUP BYs (postgres/dashboard.ts): history by action and time,
    // cases by close time, AI cases by creation time
    name: '005_dashboard',
    sql: `
create index case_history_action_at on case_history (action, at);
create index cases_closed on cases (closed_at) where closed_at is not null;
create index cases_ai_created on cases (created_at) where source = 'ai';
`,
  },
  {
    // uploads shared by every instance: the bytes beside the metadata (postgres/index.ts PgAttachments)
    name: '006_attachment_bytes',
    sql: `
alter table attachments
  add column bytes bytea,
  add column sha256 text,
  add column size integer,
  add column uploaded_by text,
  add column at timestamptz;
`,
  },
];

/** one advisory lock id for "migrating" (any constant; both instances use the same) */
const MIGRATION_LOCK = 0x63670001;

/** Apply what is not recorded yet, in order; returns the names applied now. */
export async function migrate(
  sql: postgres.Sql,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<string[]> {
  await sql`create table if not exists schema_migrations (name text primary key, applied_at timestamptz not null default now())`;
  const applied: string[] = [];
  for (const m of migrations) {
    try {
      const done = await sql.begin(async (tx) => {
        await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK})`;
        const [seen] = await tx`select 1 from schema_migrations where name = ${m.name}`;
        if (seen) return false;
        await tx.unsafe(m.sql);
        await tx`insert into schema_migrations (name) values (${m.name})`;
        return true;
      });
      if (done) applied.push(m.name);
    } catch (e) {
      if (isConnectionError(e)) throw e;
      throw new MigrationFailed(m.name, (e as Error).message);
    }
  }
  return applied;
}
