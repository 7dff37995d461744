/**
 * @module test/support/incident-draft
 * A litter incident draft as a fixed camera's pipeline hands it to the gateway core, for the
 * edge tests that drive the core without a real pipeline.
 */
import type { IncidentDraft } from '../../edge/unit.js';
import { newId } from '../../protocol/index.js';
import { ZHENGXIANG } from '../../sim/city-points.js';

export function litterDraft(at: string, over: Partial<IncidentDraft> = {}): IncidentDraft {
  return {
    id: newId(),
    rev: 0,
    lifecycle: 'new',
    kind: 'litter',
    category: '01.04',
    deviceId: 'cam-1',
    observedAt: at,
    startedAt: at,
    confidence: 0.8,
    location: { source: 'fixed', ...ZHENGXIANG },
    producer: { rule: 'litter' },
    ...over,
  };
}
