/**
 * @module central/evidence/routes
 * `POST /api/attachments`: upload a photo or voice note (raw body; type sniffed; size limited).
 * `GET /api/evidence/:name`: an uploaded attachment or an edge evidence image from the
 * JetStream object store, to users who may see a case that carries it.
 */
import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { LEGACY_EVIDENCE_BUCKET } from '../../protocol/index.js';
import type { AuthEnv, UserDirectory } from '../auth/index.js';
import { requireUser } from '../auth/index.js';
import { seesAll } from '../auth/roles.js';
import type { CaseService } from '../cases/service.js';
import { ProblemError } from '../http/problem.js';
import { ATTACHMENT_NAME, ATTACHMENT_TYPES, type AttachmentStore, sniff } from './attachments.js';

/** Same rule as the protocol's evidence names: no slashes, no leading dot, so no traversal. */
const EVIDENCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface EvidenceSource {
  /** edge evidence from a bucket of the object store; undefined when NATS is not connected */
  get(bucket: string, name: string): Promise<Uint8Array | null | undefined>;
}

export function evidenceRoutes(
  svc: CaseService,
  users: UserDirectory,
  attachments: AttachmentStore,
  objects: EvidenceSource,
  maxUploadBytes: number,
): { attachments: Hono<AuthEnv>; evidence: Hono<AuthEnv> } {
  const upload = new Hono<AuthEnv>();
  upload.use('*', requireUser(users));
  upload.post(
    '/',
    bodyLimit({
      maxSize: maxUploadBytes,
      onError: () => {
        throw new ProblemError(
          413,
          'attachment-too-large',
          `attachments are limited to ${maxUploadBytes} bytes`,
        );
      },
    }),
    async (c) => {
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      if (!bytes.byteLength) throw new ProblemError(400, 'empty-attachment', 'the request body is empty');
      const type = sniff(bytes);
      if (!type)
        throw new ProblemError(
          415,
          'unsupported-attachment',
          `not an image or voice note; accepted: ${Object.keys(ATTACHMENT_TYPES).join(', ')}`,
        );
      const declared = (c.req.header('content-type') ?? '').split(';')[0].trim();
      if (declared && declared !== 'application/octet-stream' && declared !== type)
        throw new ProblemError(
          415,
          'attachment-type-mismatch',
          `declared ${declared} but the bytes are ${type}`,
        );
      const ref = await attachments.put(bytes, type, c.get('user').id);
      return c.json({ ...ref, url: `/api/evidence/${ref.name}` }, 201);
    },
  );

  const app = new Hono<AuthEnv>();
  app.use('*', requireUser(users));
  app.get('/:name', async (c) => {
    const name = c.req.param('name');
    if (!EVIDENCE_NAME.test(name) || name.includes('..'))
      throw new ProblemError(400, 'invalid-evidence-name', 'evidence names are letters, digits, . _ - only');
    const u = c.get('user');
    const ids = await svc.store.cases.byEvidence(name);
    const cases = (await Promise.all(ids.map((id) => svc.store.cases.get(id))))
      .filter((k) => k !== undefined)
      .map((k) => k.case);
    if (!seesAll(u.role) && !cases.some((k) => svc.canSee(u, k)))
      throw new ProblemError(
        cases.length ? 403 : 404,
        cases.length ? 'forbidden' : 'evidence-not-found',
        `evidence ${name}`,
      );
    let bytes: Uint8Array | null | undefined;
    let type: string | undefined;
    if (ATTACHMENT_NAME.test(name)) {
      bytes = await attachments.get(name);
      type = (await attachments.info(name))?.contentType;
    } else {
      const ref = cases
        .filter((k) => seesAll(u.role) || svc.canSee(u, k))
        .flatMap((k) => [...k.evidence, ...k.verificationEvidence])
        .find((e) => e.name === name);
      const bucket = ref?.bucket ?? LEGACY_EVIDENCE_BUCKET;
      try {
        bytes = await objects.get(bucket, name);
      } catch (e) {
        throw new ProblemError(
          502,
          'evidence-unreadable',
          `evidence ${name} in ${bucket} cannot be read: ${(e as Error).message}`,
        );
      }
      if (bytes === undefined)
        throw new ProblemError(503, 'evidence-store-unavailable', 'NATS is not connected');
      if (bytes && ref?.sha256 && createHash('sha256').update(bytes).digest('hex') !== ref.sha256)
        throw new ProblemError(
          502,
          'evidence-integrity',
          `evidence ${name} in ${bucket} does not match the sha256 its incident declared`,
        );
      type = ref?.contentType ?? (bytes ? sniff(bytes) : undefined);
    }
    if (!bytes) throw new ProblemError(404, 'evidence-not-found', `evidence ${name} is not stored`);
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
      'content-type': type ?? 'application/octet-stream',
      'cache-control': 'private, max-age=86400, immutable',
      'x-content-type-options': 'nosniff',
    });
  });
  return { attachments: upload, evidence: app };
}
