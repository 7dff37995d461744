/**
 * @module edge/vehicle
 * The vehicle pipeline (渣土车/巡查车): serial GNSS + SLCAN CAN → vehicle state → rules →
 * incidents and telemetry. The gateway core loads this module for `kind: vehicle` gateways and
 * calls {@link createVehicleUnit} with the config's `vehicle:` section.
 * @example
 * import { createVehicleUnit, VehicleSection } from './edge/vehicle/index.js';
 * const unit = await createVehicleUnit(cfg.vehicle, { gatewayId, dataDir, log });
 */
export { VehicleSection, type VehicleSectionInput } from './config.js';
export { decodeNmea, type Fix, fixProblem } from './gnss/fix.js';
export { NmeaReader } from './gnss/nmea.js';
export { createVehicleUnit, verifyDbcSignals } from './vehicle-unit.js';
