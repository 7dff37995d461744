/**
 * @module test/support/nats-raw
 * The NATS client itself, for tests that must do what the transport deliberately does not offer:
 * act as a rogue client probing its permissions (purge, delete, other gateways' streams), change a
 * stream's limits under a running system (a shorter dedup window), squat a subject with a foreign
 * stream, or read a stream raw. Apart from `protocol/transport/`, only test/support/nats-*.ts
 * import the client (biome.json's noRestrictedImports); everything else uses the `Link`.
 */
export { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
export { Kvm } from '@nats-io/kv';
export { connect, type NatsConnection, nanos } from '@nats-io/transport-node';
