/**
 * @module protocol/codec
 * JSON codecs that validate on both sides. Decoding never throws: it returns the value or a
 * precise reason (path + message) that goes to the dead-letter subject.
 * @example
 *   const r = decode(Incident, msg.data);
 *   if (!r.ok) deadLetter(msg.subject, r.reason);
 */
import type { z } from 'zod';

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8enc = new TextEncoder();

/** Turn zod issues into one line: `rev: a new incident has rev 0; location.lat: Too big...`. */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 10)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

export function validate<S extends z.ZodType>(schema: S, value: unknown): Decoded<z.output<S>> {
  const r = schema.safeParse(value);
  return r.success ? { ok: true, value: r.data } : { ok: false, reason: formatIssues(r.error) };
}

export function decode<S extends z.ZodType>(
  schema: S,
  data: Uint8Array,
  maxBytes = 1024 * 1024,
): Decoded<z.output<S>> {
  if (data.byteLength > maxBytes)
    return { ok: false, reason: `payload ${data.byteLength} bytes exceeds ${maxBytes}` };
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    return { ok: false, reason: 'payload is not valid UTF-8' };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `payload is not JSON: ${(e as Error).message}` };
  }
  return validate(schema, json);
}

/** Validate then encode; throws on an invalid value because that is a bug in the producer. */
export function encode<S extends z.ZodType>(schema: S, value: z.input<S>): Uint8Array {
  const r = validate(schema, value);
  if (!r.ok) throw new Error(`refusing to send invalid message: ${r.reason}`);
  return utf8enc.encode(JSON.stringify(r.value));
}
