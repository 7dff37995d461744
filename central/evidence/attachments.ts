/**
 * @module central/evidence/attachments
 * Files uploaded over HTTP (collector photos and voice notes, unit feedback photos), named
 * `att-<32 random hex>.<ext>` with the uploader and the sha256 recorded. Every upload gets its
 * own name (not content-addressed), so one upload can be cited once, by the user who made it
 * (see CaseService). The type is sniffed from the bytes, never trusted from the client. Stored
 * before the upload is answered, in one of two `AttachmentStore`s:
 * - `DiskAttachments` (central on lowdb): central's data directory, each file with a sidecar
 *   `<name>.json`, written as temp file + rename;
 * - `SharedAttachments` (central on PostgreSQL): the store's attachment table (bytes and
 *   metadata in one row), so an upload made on one instance is cited and served on any other.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ProblemError } from '../http/problem.js';
import type { AttachmentRepository } from '../store/contract/index.js';

export const ATTACHMENT_TYPES = {
  'image/jpeg': { ext: 'jpg', kind: 'photo' },
  'image/png': { ext: 'png', kind: 'photo' },
  'audio/mpeg': { ext: 'mp3', kind: 'voice' },
  'audio/ogg': { ext: 'ogg', kind: 'voice' },
  'audio/wav': { ext: 'wav', kind: 'voice' },
  'audio/amr': { ext: 'amr', kind: 'voice' },
  'audio/mp4': { ext: 'm4a', kind: 'voice' },
} as const;
export type AttachmentType = keyof typeof ATTACHMENT_TYPES;

const byExt = new Map<string, AttachmentType>(
  Object.entries(ATTACHMENT_TYPES).map(([t, v]) => [v.ext, t as AttachmentType]),
);

/** Sniff the real type from magic bytes. */
export function sniff(b: Uint8Array): AttachmentType | undefined {
  const s = (o: number, t: string) => Buffer.from(b.subarray(o, o + t.length)).toString('latin1') === t;
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (s(0, '\x89PNG\r\n\x1a\n')) return 'image/png';
  if (s(0, 'OggS')) return 'audio/ogg';
  if (s(0, 'RIFF') && s(8, 'WAVE')) return 'audio/wav';
  if (s(0, '#!AMR')) return 'audio/amr';
  if (s(4, 'ftyp')) return 'audio/mp4';
  if (s(0, 'ID3') || (b[0] === 0xff && (b[1] & 0xe0) === 0xe0)) return 'audio/mpeg';
  return undefined;
}

export interface AttachmentRef {
  name: string;
  contentType: AttachmentType;
  kind: 'photo' | 'voice';
  size: number;
  sha256: string;
  /** user id of the uploader (absent for uploads made before uploaders were recorded) */
  uploadedBy?: string;
}

export const ATTACHMENT_NAME = /^att-[0-9a-f]{32}\.(jpg|png|mp3|ogg|wav|amr|m4a)$/;

/**
 * What a request may cite: an upload that exists, made by `userId` (uploads from before uploaders
 * were recorded are anyone's), of the wanted kind. Shared by case actions and bonus items; whether
 * it is already cited is the citing side's check, right before its commit.
 */
export async function checkUpload(
  store: AttachmentStore,
  name: string,
  want: 'photo' | 'voice' | 'any',
  userId: string,
): Promise<Omit<AttachmentRef, 'name' | 'sha256'>> {
  const info = await store.info(name);
  if (!info)
    throw new ProblemError(
      422,
      'unknown-attachment',
      `attachment ${name} was not uploaded (POST /api/attachments first)`,
    );
  if (info.uploadedBy !== undefined && info.uploadedBy !== userId)
    throw new ProblemError(403, 'attachment-not-yours', `attachment ${name} was uploaded by another user`, {
      attachment: name,
    });
  if (want !== 'any' && info.kind !== want)
    throw new ProblemError(
      422,
      'wrong-attachment-type',
      `attachment ${name} is ${info.contentType}, expected a ${want}`,
    );
  return info;
}

/** The 409 for an upload something already cites. */
export function alreadyCited(name: string, by: string): ProblemError {
  return new ProblemError(409, 'attachment-already-cited', `attachment ${name} is already cited by ${by}`, {
    attachment: name,
  });
}

/** Where uploads are kept. */
export interface AttachmentStore {
  put(bytes: Uint8Array, type: AttachmentType, uploadedBy: string): Promise<AttachmentRef>;
  /** the upload's type, size and uploader, or undefined if there is no such attachment */
  info(name: string): Promise<Omit<AttachmentRef, 'name' | 'sha256'> | undefined>;
  get(name: string): Promise<Uint8Array | undefined>;
}

function newRef(bytes: Uint8Array, type: AttachmentType, uploadedBy: string): AttachmentRef {
  const { ext, kind } = ATTACHMENT_TYPES[type];
  return {
    name: `att-${randomBytes(16).toString('hex')}.${ext}`,
    contentType: type,
    kind,
    size: bytes.byteLength,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    uploadedBy,
  };
}

/** Uploads in a directory of this instance (central on lowdb). */
export class DiskAttachments implements AttachmentStore {
  readonly #dir: string;
  constructor(dir: string) {
    this.#dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  async put(bytes: Uint8Array, type: AttachmentType, uploadedBy: string): Promise<AttachmentRef> {
    const ref = newRef(bytes, type, uploadedBy);
    const path = join(this.#dir, ref.name);
    // the sidecar first: a file without its sidecar would be citable by anyone
    await this.#atomicWrite(`${path}.json`, JSON.stringify(ref));
    await this.#atomicWrite(path, bytes);
    return ref;
  }

  async #atomicWrite(path: string, data: Uint8Array | string): Promise<void> {
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, data);
    await rename(tmp, path);
  }

  async info(name: string): Promise<Omit<AttachmentRef, 'name' | 'sha256'> | undefined> {
    if (!ATTACHMENT_NAME.test(name)) return undefined;
    try {
      const st = await stat(join(this.#dir, name));
      const contentType = byExt.get(name.split('.').pop()!)!;
      const side = await readFile(join(this.#dir, `${name}.json`), 'utf8').then(
        (t) => JSON.parse(t) as Partial<AttachmentRef>,
        () => ({}) as Partial<AttachmentRef>,
      );
      return {
        contentType,
        kind: ATTACHMENT_TYPES[contentType].kind,
        size: st.size,
        uploadedBy: typeof side.uploadedBy === 'string' ? side.uploadedBy : undefined,
      };
    } catch {
      return undefined;
    }
  }

  async get(name: string): Promise<Uint8Array | undefined> {
    if (!ATTACHMENT_NAME.test(name)) return undefined;
    try {
      return await readFile(join(this.#dir, name));
    } catch {
      return undefined;
    }
  }
}

/** Uploads in the central store, shared by every instance on it (central on PostgreSQL). */
export class SharedAttachments implements AttachmentStore {
  constructor(
    private readonly repo: AttachmentRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async put(bytes: Uint8Array, type: AttachmentType, uploadedBy: string): Promise<AttachmentRef> {
    const ref = newRef(bytes, type, uploadedBy);
    await this.repo.put({ ...ref, uploadedBy, at: this.now().toISOString() }, bytes);
    return ref;
  }

  async info(name: string): Promise<Omit<AttachmentRef, 'name' | 'sha256'> | undefined> {
    if (!ATTACHMENT_NAME.test(name)) return undefined;
    const r = await this.repo.get(name);
    return r && { contentType: r.contentType, kind: r.kind, size: r.size, uploadedBy: r.uploadedBy };
  }

  async get(name: string): Promise<Uint8Array | undefined> {
    return ATTACHMENT_NAME.test(name) ? this.repo.bytes(name) : undefined;
  }
}
