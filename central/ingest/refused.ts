/**
 * @module central/ingest/refused
 * A consumer handler throws `RefusedMessage` for a well-formed message it must not apply (a
 * revision of another gateway's incident): the consumer dead-letters it with the reason, counts
 * it as refused and acks it, instead of retrying it forever.
 */
export class RefusedMessage extends Error {
  override readonly name = 'RefusedMessage';
}
