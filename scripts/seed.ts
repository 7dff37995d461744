/**
 * @module scripts/seed
 * Generates the shipped 衡阳 (Hengyang, Hunan) seed files (committed in central/seed/): the
 * work plan's organisation tree (考核对象 named exactly as the plan names them), 185 community
 * grids (GeoJSON, 15-digit GB/T 30428 codes under the districts' GB/T 2260 codes) laid over the
 * urban area on both banks of the 湘江 (lat 26.84–26.95, lon 112.535–112.66), collectors with
 * their 城管通 handsets, the category catalog with routing rules and deadlines, the work calendar
 * and demo users. Street and community names and grid boundaries are placeholders and say so
 * (（占位）, `placeholder: true`): the city loads its own with `npm run central -- import-city`.
 *
 *   npx tsx scripts/seed.ts
 * A dev tool: the field build ships the files it wrote, not this script.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HANDLING_KINDS } from '../central/city/handling.js';

const out = join(dirname(fileURLToPath(import.meta.url)), '../central/seed');
const write = (f: string, v: unknown) => writeFileSync(join(out, f), JSON.stringify(v, null, 1) + '\n');
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

interface Unit {
  id: string;
  name: string;
  en: string;
  kind: string;
  parentId?: string;
  function?: string;
  areaCode?: string;
  assessed: boolean;
  /** scoring weight at the bureau level: 0.1 for units directly under it, 0.2 for districts and zones */
  weight?: number;
}
interface Collector {
  id: string;
  name: string;
  gridCodes: string[];
  handset: { deviceId: string; iccid: string; msisdn: string };
}
const units: Unit[] = [
  { id: 'bureau', name: '市城市管理局', en: 'City Urban Management Bureau', kind: 'bureau', assessed: false },
  {
    id: 'centre',
    name: '数字城管监督指挥中心',
    en: 'Supervision & Command Centre',
    kind: 'centre',
    parentId: 'bureau',
    assessed: false,
  },
];
// The plan's 考核对象, exactly as it names them. Ids are stable internal keys (kept from the first
// seed so sign-in tokens and stored cases keep working); names are the plan's.
const bureauUnits: [string, string, string, string][] = [
  ['zfzd', '市城管执法支队', 'City Urban Management Enforcement Detachment', 'enforcement'],
  [
    'gazf',
    '市公安局综合执法警察支队',
    'Public Security Bureau Comprehensive Enforcement Police Detachment',
    'police',
  ],
  ['hwc', '市环卫处', 'City Sanitation Office', 'sanitation'],
  ['ylc', '市园林局', 'City Parks Bureau', 'parks'],
  ['ldc', '市路灯管理处', 'City Street Lighting Office', 'lighting'],
  ['bhfg', '市沿江风光带管理处', 'Xiangjiang Riverside Scenic Belt Office', 'riverside'],
  ['wygs', '西湖置业股份有限公司', 'Xihu Real Estate Co., Ltd.', 'property'],
];
for (const [id, name, en, fn] of bureauUnits)
  units.push({
    id,
    name,
    en,
    kind: 'bureau_unit',
    parentId: 'bureau',
    function: fn,
    assessed: true,
    weight: 0.1,
  });

/**
 * 四城区 with their GB/T 2260 codes, and 两区一园 with extension codes 430491–430493 (a
 * development zone has no county-level code of its own; 4304 + 9x is outside the range GB/T 2260
 * uses for 衡阳's counties). Each area is a block of the lattice below: col0/row0 its south-west
 * cell, cols × rows its grids. West of lon 112.615 is the 湘江's west bank, east of 112.620 the
 * east bank (the river is about 500 m wide through the city).
 */
const areas = [
  {
    id: 'dc',
    code: '430406',
    name: '雁峰区',
    en: 'Yanfeng District',
    kind: 'district',
    col0: 5,
    row0: 3,
    cols: 5,
    rows: 6,
  },
  {
    id: 'xc',
    code: '430407',
    name: '石鼓区',
    en: 'Shigu District',
    kind: 'district',
    col0: 5,
    row0: 9,
    cols: 5,
    rows: 6,
  },
  {
    id: 'nh',
    code: '430405',
    name: '珠晖区',
    en: 'Zhuhui District',
    kind: 'district',
    col0: 10,
    row0: 3,
    cols: 5,
    rows: 7,
  },
  {
    id: 'bs',
    code: '430408',
    name: '蒸湘区',
    en: 'Zhengxiang District',
    kind: 'district',
    col0: 0,
    row0: 5,
    cols: 5,
    rows: 6,
  },
  {
    id: 'gx',
    code: '430491',
    name: '高新技术产业开发区',
    en: 'Hi-tech Industrial Development Zone',
    kind: 'zone',
    col0: 0,
    row0: 0,
    cols: 5,
    rows: 5,
  },
  {
    id: 'jk',
    code: '430492',
    name: '松木经济开发区',
    en: 'Songmu Economic Development Zone',
    kind: 'zone',
    col0: 10,
    row0: 10,
    cols: 5,
    rows: 4,
  },
  {
    id: 'lg',
    code: '430493',
    name: '白沙洲工业园',
    en: 'Baishazhou Industrial Park',
    kind: 'zone',
    col0: 5,
    row0: 0,
    cols: 5,
    rows: 3,
  },
];
const PLACEHOLDER = '（占位）';

for (const a of areas) {
  units.push({
    id: a.id,
    name: a.name,
    en: a.en,
    kind: a.kind,
    parentId: 'bureau',
    areaCode: a.code,
    assessed: true,
    weight: 0.2,
  });
  if (a.kind === 'district') {
    units.push(
      {
        id: `${a.id}-zf`,
        name: `${a.name}城管执法局`,
        en: `${a.en} Urban Management Enforcement Bureau`,
        kind: 'district_bureau',
        parentId: a.id,
        function: 'enforcement',
        assessed: true,
      },
      {
        id: `${a.id}-hw`,
        name: `${a.name}环卫局`,
        en: `${a.en} Sanitation Bureau`,
        kind: 'district_bureau',
        parentId: a.id,
        function: 'sanitation',
        assessed: true,
      },
      {
        id: `${a.id}-yl`,
        name: `${a.name}园林局`,
        en: `${a.en} Parks Bureau`,
        kind: 'district_bureau',
        parentId: a.id,
        function: 'parks',
        assessed: true,
      },
    );
  } else {
    units.push({
      id: `${a.id}-zf`,
      name: `${a.name}城管大队（综合执法大队）`,
      en: `${a.en} Urban Management Brigade (Comprehensive Enforcement Brigade)`,
      kind: 'zone_brigade',
      parentId: a.id,
      function: 'enforcement',
      assessed: true,
    });
  }
}

// Lattice over 衡阳's urban area: 15 columns × 15 rows of ~0.8 km cells from lat 26.8375,
// lon 112.535 (south-west) to lat 26.95, lon 112.66; the columns east of the 湘江 start 500 m
// further east. Street and community boundaries are placeholders (the city imports its own).
const DLAT = 0.0075;
const DLON = 0.008;
const LAT0 = 26.8375;
const LON0 = 112.535;
const RIVER_GAP = 0.005;
const cellRing = (col: number, row: number) => {
  const lon = LON0 + col * DLON + (col >= 10 ? RIVER_GAP : 0);
  const lat = LAT0 + row * DLAT;
  return [
    [lon, lat],
    [lon + DLON, lat],
    [lon + DLON, lat + DLAT],
    [lon, lat + DLAT],
    [lon, lat],
  ].map(([x, y]) => [Number(x.toFixed(6)), Number(y.toFixed(6))]);
};

const features: unknown[] = [];
const collectors: Collector[] = [];
const cn = (n: number) => String(n).padStart(2, '0');
for (const a of areas) {
  // serpentine through the block so each street's five communities are contiguous
  const cells: [number, number][] = [];
  for (let r = 0; r < a.rows; r++)
    for (let k = 0; k < a.cols; k++) cells.push([a.col0 + (r % 2 ? a.cols - 1 - k : k), a.row0 + r]);
  const streetsN = Math.ceil(cells.length / 5);
  for (let s = 0; s < streetsN; s++) {
    const streetCode = String(s + 1).padStart(3, '0');
    const streetId = `${a.id}-s${streetCode}`;
    const streetName = `${a.name}第${cn(s + 1)}街道${PLACEHOLDER}`;
    units.push({
      id: streetId,
      name: streetName,
      en: `${a.en} street ${streetCode} (placeholder)`,
      kind: 'street',
      parentId: a.id,
      areaCode: a.code + streetCode,
      assessed: false,
    });
    for (let m = 0; m < 5 && s * 5 + m < cells.length; m++) {
      const commCode = String(m + 1).padStart(3, '0');
      const communityId = `${streetId}-c${commCode}`;
      const code = `${a.code}${streetCode}${commCode}001`;
      const name = `${a.name}第${cn(s + 1)}街道第${cn(m + 1)}社区${PLACEHOLDER}`;
      units.push({
        id: communityId,
        name,
        en: `community ${code} (placeholder)`,
        kind: 'community',
        parentId: streetId,
        areaCode: code.slice(0, 12),
        assessed: false,
      });
      const n = collectors.length + 1;
      const collectorId = `col-${String(n).padStart(3, '0')}`;
      collectors.push({
        id: collectorId,
        name: `${name.replace(PLACEHOLDER, '')}采集员${PLACEHOLDER}`,
        gridCodes: [code],
        handset: {
          deviceId: `cgt-${String(n).padStart(3, '0')}`,
          iccid: `898600${String(4304_0000_0000_0 + n).padStart(14, '0')}`,
          msisdn: `1397340${String(n).padStart(4, '0')}`,
        },
      });
      const [col, row] = cells[s * 5 + m];
      features.push({
        type: 'Feature',
        properties: {
          code,
          name,
          communityId,
          streetId,
          areaId: a.id,
          collectorIds: [collectorId],
          placeholder: true,
        },
        geometry: { type: 'Polygon', coordinates: [cellRing(col, row)] },
      });
    }
  }
}
if (features.length !== 185) throw new Error(`expected 185 grids, made ${features.length}`);

/** Routing rules: `fixed` unit, `area` bureau by function (a zone's brigade takes everything), `street` office. */
const catalog = {
  majors: {
    '01': { zh: '市容环境', en: 'City appearance & environment' },
    '05': { zh: '街面秩序', en: 'Street order' },
    '06': { zh: '设施管理', en: 'Public facilities' },
    '91': { zh: '队容风纪', en: 'Uniform & discipline' },
    '92': { zh: '渣土管理', en: 'Muck trucks' },
    '93': { zh: '设备运行', en: 'Equipment' },
  },
  categories: [
    {
      code: '01.02',
      zh: '暴露垃圾',
      en: 'Exposed garbage',
      deadline: { value: 2, unit: 'workHours' },
      route: { kind: 'area', function: 'sanitation' },
    },
    {
      code: '01.03',
      zh: '积存垃圾渣土',
      en: 'Accumulated garbage / spoil',
      deadline: { value: 1, unit: 'workDays' },
      route: { kind: 'area', function: 'sanitation' },
    },
    {
      code: '01.04',
      zh: '道路不洁',
      en: 'Unclean road (litter)',
      deadline: { value: 2, unit: 'workHours' },
      route: { kind: 'area', function: 'sanitation' },
    },
    {
      code: '01.05',
      zh: '水域不洁',
      en: 'Dirty waterway',
      deadline: { value: 1, unit: 'workDays' },
      route: { kind: 'fixed', unitId: 'bhfg' },
    },
    {
      code: '01.06',
      zh: '绿地脏乱',
      en: 'Untidy green space',
      deadline: { value: 1, unit: 'workDays' },
      route: { kind: 'area', function: 'parks' },
    },
    {
      code: '01.09',
      zh: '乱张贴',
      en: 'Illegal posters',
      deadline: { value: 1, unit: 'workDays' },
      route: { kind: 'street' },
    },
    {
      code: '01.12',
      zh: '道路遗撒',
      en: 'Spillage on road',
      deadline: { value: 2, unit: 'workHours' },
      route: { kind: 'fixed', unitId: 'hwc' },
    },
    {
      code: '05.01',
      zh: '无照经营游商',
      en: 'Unlicensed street vendor',
      deadline: { value: 4, unit: 'workHours' },
      route: { kind: 'area', function: 'enforcement' },
    },
    {
      code: '05.02',
      zh: '占道经营',
      en: 'Business occupying the road',
      deadline: { value: 4, unit: 'workHours' },
      route: { kind: 'area', function: 'enforcement' },
    },
    {
      code: '05.04',
      zh: '店外经营',
      en: 'Business outside shop',
      deadline: { value: 4, unit: 'workHours' },
      route: { kind: 'area', function: 'enforcement' },
    },
    {
      code: '05.05',
      zh: '机动车乱停放',
      en: 'Illegal motor-vehicle parking',
      deadline: { value: 2, unit: 'workHours' },
      route: { kind: 'fixed', unitId: 'gazf' },
    },
    {
      code: '05.06',
      zh: '非机动车乱停放',
      en: 'Illegal non-motor-vehicle parking',
      deadline: { value: 4, unit: 'workHours' },
      route: { kind: 'street' },
    },
    {
      code: '06.01',
      zh: '路灯不亮',
      en: 'Street light out',
      deadline: { value: 2, unit: 'workDays' },
      route: { kind: 'fixed', unitId: 'ldc' },
    },
    {
      code: '06.02',
      zh: '小区公共设施损坏',
      en: 'Damaged estate facility',
      deadline: { value: 3, unit: 'workDays' },
      route: { kind: 'fixed', unitId: 'wygs' },
    },
    {
      code: '91.01',
      zh: '未按规定着装',
      en: 'Out of uniform',
      deadline: { value: 1, unit: 'workDays' },
      route: { kind: 'area', function: 'enforcement' },
    },
    {
      code: '91.02',
      zh: '脱岗',
      en: 'Absent from post',
      deadline: { value: 4, unit: 'workHours' },
      route: { kind: 'area', function: 'enforcement' },
    },
    {
      code: '92.01',
      zh: '渣土车超速',
      en: 'Muck truck overspeed',
      deadline: { value: 1, unit: 'workDays' },
      route: { kind: 'fixed', unitId: 'zfzd' },
    },
    {
      code: '92.02',
      zh: '渣土车偏离路线',
      en: 'Muck truck off approved route',
      deadline: { value: 1, unit: 'workDays' },
      route: { kind: 'fixed', unitId: 'zfzd' },
    },
    {
      code: '92.03',
      zh: '渣土违规倾倒',
      en: 'Dumping outside approved site',
      deadline: { value: 4, unit: 'workHours' },
      route: { kind: 'fixed', unitId: 'zfzd' },
    },
    {
      code: '92.04',
      zh: '渣土车未密闭',
      en: 'Muck truck moving uncovered',
      deadline: { value: 1, unit: 'workDays' },
      route: { kind: 'fixed', unitId: 'zfzd' },
    },
    {
      code: '92.05',
      zh: '渣土车违规进入限行区',
      en: 'Muck truck in restricted zone/hours',
      deadline: { value: 1, unit: 'workDays' },
      route: { kind: 'fixed', unitId: 'zfzd' },
    },
    {
      code: '93.01',
      zh: '设备离线',
      en: 'Device offline',
      deadline: { value: 2, unit: 'workDays' },
      route: { kind: 'fixed', unitId: 'zfzd' },
    },
    {
      code: '93.02',
      zh: '设备未应答',
      en: 'Device did not answer a call',
      deadline: { value: 2, unit: 'workDays' },
      route: { kind: 'fixed', unitId: 'zfzd' },
    },
  ],
};

const calendar = {
  utcOffsetMinutes: 480,
  workdays: [1, 2, 3, 4, 5],
  periods: [
    ['08:30', '12:00'],
    ['13:30', '17:30'],
  ],
  holidays: [
    '2026-01-01',
    '2026-01-02',
    '2026-02-16',
    '2026-02-17',
    '2026-02-18',
    '2026-02-19',
    '2026-02-20',
    '2026-02-23',
    '2026-04-06',
    '2026-05-01',
    '2026-05-04',
    '2026-05-05',
    '2026-06-19',
    '2026-09-25',
    '2026-10-01',
    '2026-10-02',
    '2026-10-05',
    '2026-10-06',
    '2026-10-07',
    '2027-01-01',
  ],
  makeupWorkdays: ['2026-02-14', '2026-02-28', '2026-05-09', '2026-09-27', '2026-10-10'],
};

const demo: [string, string, string, Record<string, string>][] = [
  ['u-operator', '值班员 王敏', 'operator', {}],
  ['u-operator2', '值班员 李强', 'operator', {}],
  ['u-leader', '指挥中心主任 陈立', 'leader', {}],
  ['u-admin', '系统管理员', 'admin', {}],
  ['u-collector', `${collectors[0].name}`, 'collector', { collectorId: collectors[0].id }],
  ['u-collector2', `${collectors[1].name}`, 'collector', { collectorId: collectors[1].id }],
  ['u-hotline', '12345热线对接', 'integration', {}],
  ['u-open311', 'Open311 应用', 'integration', {}],
];
const tokenOf = (id: string) => `demo-${id.slice(2)}`;
const users = [
  ...demo.map(([id, name, role, extra]) => ({ id, name, role, ...extra, tokenSha256: sha(tokenOf(id)) })),
  // one handler account for every unit a case can be dispatched to
  ...units
    .filter((u) => HANDLING_KINDS.has(u.kind))
    .map((u) => ({
      id: `u-h-${u.id}`,
      name: `${u.name.replace(PLACEHOLDER, '')}处置员`,
      role: 'unit_handler',
      unitId: u.id,
      tokenSha256: sha(`demo-handler-${u.id}`),
    })),
];

write('org.json', { units });
write('grids.geojson', { type: 'FeatureCollection', features });
write('collectors.json', { collectors });
write('catalog.json', catalog);
write('calendar.json', calendar);
write('users.json', { users });
console.log(
  `wrote ${units.length} units, ${features.length} grids, ${collectors.length} collectors, ${users.length} users`,
);
