/**
 * @module central/evidence/attachments
 * Files uploaded over HTTP (collector photos and voice notes, unit feedback photos), stored
 * content-addressed in central's data directory: `att-<sha256 prefix>.<ext>`. The type is
 * sniffed from the bytes, never trusted from the client. Written (temp file + rename) before
 * the upload is answered.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

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
}

export const ATTACHMENT_NAME = /^att-[0-9a-f]{32}\.(jpg|png|mp3|ogg|wav|amr|m4a)$/;

export class AttachmentStore {
  readonly #dir: string;
  constructor(dir: string) {
    this.#dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  async put(bytes: Uint8Array, type: AttachmentType): Promise<AttachmentRef> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const { ext, kind } = ATTACHMENT_TYPES[type];
    const name = `att-${sha256.slice(0, 32)}.${ext}`;
    const path = join(this.#dir, name);
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, path);
    return { name, contentType: type, kind, size: bytes.byteLength, sha256 };
  }

  /** The stored file's type, or undefined if there is no such attachment. */
  async info(
    name: string,
  ): Promise<{ contentType: AttachmentType; kind: 'photo' | 'voice'; size: number } | undefined> {
    if (!ATTACHMENT_NAME.test(name)) return undefined;
    try {
      const st = await stat(join(this.#dir, name));
      const contentType = byExt.get(name.split('.').pop()!)!;
      return { contentType, kind: ATTACHMENT_TYPES[contentType].kind, size: st.size };
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
