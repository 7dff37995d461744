/**
 * @module edge/unit
 * The contract between the gateway core (outbox, heartbeats, commands, NATS link) and the device
 * pipelines that run inside it (edge/camera, edge/vehicle). A pipeline never touches NATS: it
 * hands incidents and telemetry to these sinks and answers commands; the core makes them durable
 * and delivers them.
 */
import type {
  CommandRequest,
  DeviceStatus,
  EvidenceRef,
  IncidentInput,
  RunningModel,
  TrackPoint,
} from '../protocol/index.js';

/** An evidence image a pipeline attaches to an incident revision; the core uploads it. */
export interface EvidenceImage {
  role: EvidenceRef['role'];
  bytes: Uint8Array;
  contentType: EvidenceRef['contentType'];
}

/** An incident revision without evidence refs and gateway id: the core fills those in. */
export type IncidentDraft = Omit<IncidentInput, 'evidence' | 'gatewayId' | 'v'>;

export interface EdgeSinks {
  /** Durable once the promise resolves (written to the outbox); delivery is the core's job. */
  incident(draft: IncidentDraft, images?: EvidenceImage[]): Promise<void>;
  /** Positions for the track; may be dropped first under a disk budget. */
  telemetry(vehicleId: string, points: TrackPoint[]): void;
}

export interface EdgeUnit {
  /** e.g. 'camera:gate-1' or 'vehicle:truck-7', for logs */
  readonly name: string;
  start(sinks: EdgeSinks): Promise<void>;
  stop(): Promise<void>;
  /** Current state of each device this unit runs, for the heartbeat. */
  devices(): DeviceStatus[];
  /** The models this unit runs now, for the heartbeat. */
  models?(): RunningModel[];
  /**
   * Answer a command from central (where, snapshot, ...) for a device this unit owns.
   * Return undefined when the device is not this unit's; throw with a clear message on failure.
   */
  command?(req: CommandRequest, sinks: EdgeSinks): Promise<Record<string, unknown> | undefined>;
}

/** What the gateway core gives a pipeline factory. */
export interface UnitContext {
  gatewayId: string;
  /** a writable directory for this unit's own state (e.g. tracker snapshots) */
  dataDir: string;
  /** folder of the gateway config file: relative paths in a section resolve against it */
  configDir?: string;
  log: {
    info(obj: object, msg?: string): void;
    warn(obj: object, msg?: string): void;
    error(obj: object, msg?: string): void;
    debug(obj: object, msg?: string): void;
  };
}
