/** Sinks for a unit under test that keep every incident revision it hands over, with its images. */
import type { EdgeSinks, EvidenceImage, IncidentDraft } from '../../edge/unit.js';

export function recorder() {
  const got: { draft: IncidentDraft; images: EvidenceImage[] }[] = [];
  const sinks: EdgeSinks = {
    async incident(draft, images = []) {
      got.push({ draft, images });
    },
    telemetry() {},
  };
  return { got, sinks };
}
