/**
 * @module central/city/handling
 * Which units handle cases (can be dispatched to and have handler accounts): the four disposal
 * levels below the centre — bureau units, district bureaus and zone brigades, street offices.
 * The bureau, the centre, a district or zone as a whole and a community never take a case.
 */
export const HANDLING_KINDS: ReadonlySet<string> = new Set([
  'bureau_unit',
  'district_bureau',
  'zone_brigade',
  'street',
]);

export const handlesCases = (unit: { kind: string } | undefined): boolean =>
  unit !== undefined && HANDLING_KINDS.has(unit.kind);
