/**
 * @module protocol
 * The wire contract between edge gateways and central: schemas (zod, with inferred types),
 * subjects, streams and buckets, category codes, codecs. Edge and central import only this.
 */
export * from './categories.js';
export * from './codec.js';
export * from './ids.js';
export * from './kinds.js';
export * from './labels.js';
export * from './schemas/case-change.js';
export * from './schemas/command.js';
export * from './schemas/common.js';
export * from './schemas/deadletter.js';
export * from './schemas/gateway-config.js';
export * from './schemas/incident.js';
export * from './schemas/status.js';
export * from './schemas/telemetry.js';
export * from './streams.js';
export * from './subjects.js';
