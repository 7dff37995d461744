/**
 * @module central/seed/handler-units
 * The demo city's units that get a demo handler account (`u-h-<unit>`, token
 * `demo-handler-<unit>`): used by the seed generator and by the tests that log in as them.
 */
export const HANDLER_UNITS: readonly string[] = [
  'zfzd',
  'gazf',
  'hwc',
  'ylc',
  'ldc',
  'bhfg',
  'wygs',
  'dc-zf',
  'dc-hw',
  'xc-zf',
  'xc-hw',
  'nh-hw',
  'bs-hw',
  'gx-zf',
];
