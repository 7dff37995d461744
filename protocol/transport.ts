/**
 * @module protocol/transport
 * How edge and central talk over NATS: the `Link` interface (`./transport/types.ts`), its one
 * implementation (`./transport/nats.ts`, the only module that imports the NATS client, a lint
 * rule in biome.json keeps it so), stream provisioning and evidence in the object store.
 * @example
 *   const link = await connectNats({ servers, name: 'central', log });
 *   await provisionStreams(link);
 *   await link.publishStored(subjects.incident(gw), encode(Incident, inc), { msgId: incidentMsgId(inc) });
 */
import { createHash } from 'node:crypto';
import type { EvidenceRef } from './schemas/incident.js';
import { evidenceBucket, STREAMS } from './streams.js';
import type { Link, ObjectBucket, ProvisionOptions } from './transport/types.js';

export { connectNats, type LinkLogger, type LinkOptions, type TlsFiles } from './transport/nats.js';
export type * from './transport/types.js';

/**
 * Create every stream (and the evidence buckets of `gatewayIds`), or update them to the
 * definitions. Idempotent. Central provisions a gateway's bucket when it first hears from it.
 */
export async function provisionStreams(
  link: Link,
  gatewayIds: string[] = [],
  o: ProvisionOptions = {},
): Promise<void> {
  await link.ensureStreams(Object.values(STREAMS), o);
  for (const g of gatewayIds) await evidenceStore(link, g, o);
}

/** A gateway's evidence bucket (created when missing and the credentials allow it). */
export function evidenceStore(
  link: Link,
  gatewayId: string,
  o: ProvisionOptions = {},
): Promise<ObjectBucket> {
  return bucketStore(link, evidenceBucket(gatewayId), o);
}

/** An evidence bucket by name (created at `replicas` when it does not exist yet). */
export function bucketStore(link: Link, bucket: string, o: ProvisionOptions = {}): Promise<ObjectBucket> {
  return link.objects(bucket, { description: 'incident evidence images', replicas: o.replicas });
}

/** Store an evidence image (chunked by the object store) and return the reference for the message. */
export async function putEvidence(
  os: ObjectBucket,
  name: string,
  bytes: Uint8Array,
  role: EvidenceRef['role'],
  contentType: EvidenceRef['contentType'] = 'image/jpeg',
  /** told what was under the name when it is replaced (the caller logs and counts it) */
  onReplace?: (what: string) => void,
): Promise<EvidenceRef> {
  const hash = createHash('sha256').update(bytes).digest();
  const sha256 = hash.toString('hex');
  const digest = `SHA-256=${hash.toString('base64url')}=`;
  // Re-sending after a crash: same name, same bytes → nothing to do (resumable upload). Anything
  // else under the name (other bytes, metadata that does not parse) is replaced, never a reason
  // to stop: the put rolls the metadata up.
  const existing = await os.info(name).catch(async (e: Error) => {
    onReplace?.(`unreadable metadata (${e.message})`);
    await os.clearUnreadable(name);
    return null;
  });
  const same = existing && existing.size === bytes.byteLength && existing.digest === digest;
  if (existing && !same) onReplace?.(`other content (${existing.size} bytes, ${existing.digest})`);
  if (!same) await os.put(name, bytes, role);
  return { role, bucket: os.bucket, name, contentType, size: bytes.byteLength, sha256 };
}

export function getEvidence(os: ObjectBucket, name: string): Promise<Uint8Array | null> {
  return os.get(name);
}
