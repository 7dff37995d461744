/** Reading an incident-born case: its latest revision, frames, plate, speed details. */
import { cameraName, plateOf } from './session';

export interface Revision {
  rev: number;
  lifecycle: string;
  observedAt: string;
  evidence: string[];
}
export function latestOf(c: any): any {
  return c?.incidents?.[0]?.latest ?? {};
}
/** the frames to show: annotated first, then clean, from the case's incident evidence */
export function frames(c: any): { name: string; role: string }[] {
  const ev = (c?.evidence ?? []).filter((e: any) => e.contentType?.startsWith('image/') || /\.(jpe?g|png)$/i.test(e.name));
  const order = (r: string) => (r === 'annotated' ? 0 : r === 'clean' ? 1 : 2);
  return [...ev].sort((a, b) => order(a.role) - order(b.role));
}
/** "西湖路东门" for a camera, the plate for a vehicle */
export function deviceLabel(c: any): string {
  const inc = latestOf(c);
  if (c.source === 'vehicle') return plateOf(c.refs?.deviceId, inc.plate ?? c.plate);
  return cameraName(c.refs?.deviceId);
}
export const isVehicle = (c: any) => c?.source === 'vehicle';
