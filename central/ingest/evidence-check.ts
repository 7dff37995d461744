/**
 * @module central/ingest/evidence-check
 * Before an incident revision is applied, every evidence object it names in its gateway's own
 * bucket is looked up (the object store's metadata only: one request per object, no image
 * bytes). Missing after a bounded wait, or another size or SHA-256 than the incident declares →
 * `RefusedMessage` (the consumer dead-letters it with the reason and counts it). A store that
 * cannot be asked throws a plain error, so the message is nak'ed and comes back.
 */
import { evidenceBucket, type Incident } from '../../protocol/index.js';
import type { ObjectBucket } from '../../protocol/transport.js';
import { RefusedMessage } from './refused.js';

/** The object store's digest `SHA-256=<base64url>` as hex (undefined when it is another form). */
function digestHex(digest: string): string | undefined {
  const m = /^SHA-256=([A-Za-z0-9_-]+)=*$/.exec(digest);
  return m ? Buffer.from(m[1]!, 'base64url').toString('hex') : undefined;
}

export interface EvidenceCheckOptions {
  /** how long an object may be missing before the incident is refused (an upload in flight) */
  waitMs: number;
  /** between lookups of a missing object */
  pollMs?: number;
}

export async function verifyEvidence(
  inc: Incident,
  bucket: (name: string) => Promise<ObjectBucket>,
  o: EvidenceCheckOptions,
): Promise<void> {
  const own = evidenceBucket(inc.gatewayId);
  // evidence in another bucket is refused by the case builder; never bind (create) that bucket here
  const refs = inc.evidence.filter((e) => e.bucket === own);
  if (!refs.length) return;
  const os = await bucket(own);
  const deadline = Date.now() + o.waitMs;
  for (const e of refs) {
    const what = `evidence ${e.name} in ${own} (incident ${inc.id} rev ${inc.rev})`;
    // metadata that does not parse is the gateway's own doing (only it may write there): refuse
    const lookup = () =>
      os.info(e.name).catch((err: Error) => {
        if (err instanceof SyntaxError)
          throw new RefusedMessage(`${what}: unreadable metadata (${err.message})`);
        throw err;
      });
    let info = await lookup();
    while ((!info || info.deleted) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, o.pollMs ?? 200));
      info = await lookup();
    }
    if (!info || info.deleted) throw new RefusedMessage(`${what} is not stored (waited ${o.waitMs} ms)`);
    if (info.size !== e.size)
      throw new RefusedMessage(`${what} has ${info.size} bytes, the incident declares ${e.size}`);
    const stored = digestHex(info.digest);
    if (stored !== e.sha256)
      throw new RefusedMessage(
        `${what} has sha256 ${stored ?? info.digest}, the incident declares ${e.sha256}`,
      );
  }
}
