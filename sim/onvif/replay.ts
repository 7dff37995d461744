/**
 * @module sim/onvif/replay
 * Recorded responses of real cameras (../shared/testdata/onvif, read at runtime, never copied),
 * with their LAN addresses rewritten to the simulator's loopback address so nothing leaves the box.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const ONVIF_TESTDATA = path.resolve(import.meta.dirname, '../../../shared/testdata/onvif');

export type ReplayCamera = 'bosch' | 'dahua';

const DIRS: Record<ReplayCamera, string> = { bosch: 'bosch-flexidome-5100i', dahua: 'dahua' };

export function replayAvailable(cam: ReplayCamera): boolean {
  return existsSync(path.join(ONVIF_TESTDATA, DIRS[cam]));
}

export interface Recording {
  /** op name → raw response XML with hosts still as recorded */
  responses: Map<string, string>;
  /** the camera clock at recording time, when GetSystemDateAndTime was recorded */
  recordedClock?: Date;
}

/** op name from a recorded file name: "GetProfiles.response.xml", "dahua-GetSnapshotUriResponse.xml". */
function opOf(file: string): string | undefined {
  return /(?:^|-)(Get\w+?)(?:\.response|Response)\.xml$/.exec(file)?.[1];
}

export function loadRecording(cam: ReplayCamera): Recording {
  const dir = path.join(ONVIF_TESTDATA, DIRS[cam]);
  if (!existsSync(dir)) throw new Error(`recorded ONVIF responses not found at ${dir}`);
  const responses = new Map<string, string>();
  for (const f of readdirSync(dir)) {
    const op = opOf(f);
    if (op) responses.set(op, readFileSync(path.join(dir, f), 'utf8'));
  }
  const sdt = responses.get('GetSystemDateAndTime');
  let recordedClock: Date | undefined;
  if (sdt) {
    const n = (tag: string) => Number(new RegExp(`<(?:\\w+:)?${tag}\\b[^>]*>(\\d+)<`).exec(sdt)?.[1]);
    recordedClock = new Date(
      Date.UTC(n('Year'), n('Month') - 1, n('Day'), n('Hour'), n('Minute'), n('Second')),
    );
  }
  return { responses, recordedClock };
}

/** Point every http/rtsp URL at the simulator: same path and query, loopback host and port. */
export function rewriteHosts(xml: string, host: string, port: number): string {
  return xml
    .replace(/http:\/\/[\d.]+(?::\d+)?\//g, `http://${host}:${port}/`)
    .replace(/rtsp:\/\/[\d.]+(?::\d+)?\//g, `rtsp://${host}:554/`);
}
