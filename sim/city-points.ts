/**
 * @module sim/city-points
 * Named points of the shipped 衡阳 seed (central/seed), so a test (or the demo stack) says which grid it means
 * instead of repeating coordinates. `ZHENGXIANG` lies in a 蒸湘区 grid (01.04 litter there routes
 * to 蒸湘区环卫局 `bs-hw`), `YANFENG` in a 雁峰区 grid (→ `dc-hw`), `ZHUHUI` in a 珠晖区 grid east
 * of the 湘江 (→ `nh-hw`), `OUTSIDE` in no grid at all.
 */
export const ZHENGXIANG = { lat: 26.895, lon: 112.555 } as const;
export const YANFENG = { lat: 26.885, lon: 112.595 } as const;
export const ZHUHUI = { lat: 26.885, lon: 112.64 } as const;
export const OUTSIDE = { lat: 26.5, lon: 112.0 } as const;
/** the first grid of 雁峰区第01街道 (community dc-s001-c001, collector col-001) */
export const YANFENG_GRID = '430406001001001';
