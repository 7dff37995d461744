/**
 * @module deploy/auth
 * NATS authorization for production: one user per gateway whose permissions name only its own
 * subjects, a user for central, and the rendering of the `authorization {}` block that
 * nats-server 2.9 loads. Passwords are stored only as bcrypt hashes.
 *
 * A gateway may publish its incidents, telemetry and heartbeats, and call exactly the JetStream
 * API it needs: publish with acknowledgement, put evidence into the object store, and watch its
 * own key of the configuration KV bucket. It may subscribe only to its commands and to replies
 * below its own inbox prefix. The list was worked out against nats-server 2.9.10 with the nats.js
 * 2.29 client (test/security-nats-permissions.test.ts fails if one is missing or one too many is
 * granted); see docs/DEPLOYMENT.md for why each line is there.
 * @example
 *   renderAuthorization([{ user: 'cp-01', bcrypt: '$2a$11$...', permissions: gatewayPermissions('cp-01') }])
 */
import {
  CONFIG_BUCKET,
  evidenceBucket,
  gatewayInboxPrefix,
  MODELS_BUCKET,
  SUBJECT_ROOT,
  subjects,
} from '../protocol/index.js';

export interface NatsPermissions {
  publish?: { allow?: string[]; deny?: string[] };
  subscribe?: { allow?: string[]; deny?: string[] };
  /** let the user answer requests it received (command replies) without publish rights on _INBOX */
  allow_responses?: boolean;
}

export interface NatsUser {
  user: string;
  /** bcrypt hash of the password ($2a$...) */
  bcrypt: string;
  permissions?: NatsPermissions;
  /** what this user is, for the operator reading the file */
  note?: string;
}

const KV_STREAM = `KV_${CONFIG_BUCKET}`;
const MODELS_STREAM = `OBJ_${MODELS_BUCKET}`;
export function gatewayPermissions(gatewayId: string): NatsPermissions {
  const inbox = gatewayInboxPrefix(gatewayId);
  // its own evidence bucket only: no other gateway's objects, names or stream info
  const bucket = evidenceBucket(gatewayId);
  const objStream = `OBJ_${bucket}`;
  return {
    publish: {
      allow: [
        subjects.incident(gatewayId),
        subjects.telemetry(gatewayId),
        subjects.status(gatewayId),
        // the client checks the account has JetStream before the first JetStream call
        '$JS.API.INFO',
        // evidence: its own bucket's chunks and metadata (central creates the bucket)
        `$O.${bucket}.C.>`,
        `$O.${bucket}.M.>`,
        `$JS.API.STREAM.INFO.${objStream}`,
        // the client looks an object's metadata up before a put (only in its own bucket)
        `$JS.API.STREAM.MSG.GET.${objStream}`,
        // configuration: bind the bucket, watch only its own key (ordered consumer filtered on
        // it; the consumer name is random), answer the push consumer's flow control
        `$JS.API.STREAM.INFO.${KV_STREAM}`,
        `$JS.API.CONSUMER.CREATE.${KV_STREAM}.*.$KV.${CONFIG_BUCKET}.${gatewayId}`,
        `$JS.FC.${KV_STREAM}.>`,
        // models rolled out to it: read only (bind, look up metadata, an ordered consumer on the
        // chunks); no $O.cg_models.* publish, so it can never write or replace a model
        `$JS.API.STREAM.INFO.${MODELS_STREAM}`,
        `$JS.API.STREAM.MSG.GET.${MODELS_STREAM}`,
        `$JS.API.CONSUMER.CREATE.${MODELS_STREAM}.*.$O.${MODELS_BUCKET}.C.>`,
        `$JS.FC.${MODELS_STREAM}.>`,
      ],
    },
    subscribe: { allow: [subjects.all.command(gatewayId), `${inbox}.>`] },
    allow_responses: true,
  };
}

/** Central consumes every stream, provisions them and the buckets, and calls gateways. */
export function centralPermissions(): NatsPermissions {
  return {
    publish: { allow: [`${SUBJECT_ROOT}.>`, '$JS.>', '$KV.>', '$O.>', '_INBOX.>'] },
    subscribe: { allow: [`${SUBJECT_ROOT}.>`, '_INBOX.>', '$KV.>', '$O.>'] },
  };
}

/** NATS config strings: quoted JSON strings, so `$` in subjects and hashes is never a variable. */
const q = (s: string) => JSON.stringify(s);

function renderList(list: string[] | undefined): string {
  return `[${(list ?? []).map(q).join(', ')}]`;
}

function renderPermissions(p: NatsPermissions, indent: string): string {
  const lines: string[] = [];
  for (const dir of ['publish', 'subscribe'] as const) {
    const d = p[dir];
    if (!d) continue;
    const parts = [];
    if (d.allow) parts.push(`allow: ${renderList(d.allow)}`);
    if (d.deny) parts.push(`deny: ${renderList(d.deny)}`);
    lines.push(`${indent}  ${dir}: { ${parts.join(', ')} }`);
  }
  if (p.allow_responses) lines.push(`${indent}  allow_responses: true`);
  return `{\n${lines.join('\n')}\n${indent}}`;
}

/** The `authorization { users = [...] }` block (include it from nats-server.conf). */
export function renderAuthorization(users: NatsUser[]): string {
  const blocks = users.map((u) => {
    const head = u.note ? `    # ${u.note.replace(/\n/g, ' ')}\n` : '';
    const perms = u.permissions ? `, permissions: ${renderPermissions(u.permissions, '    ')}` : '';
    return `${head}    { user: ${q(u.user)}, password: ${q(u.bcrypt)}${perms} }`;
  });
  return [
    '# Generated by deploy/issue-gateway-credentials.ts; edit the registry, not this file.',
    'authorization {',
    '  users = [',
    blocks.join('\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
}
