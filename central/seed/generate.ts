/**
 * @module central/seed/generate
 * Generates the demo city's seed files (committed beside this script): organisation tree,
 * 185 community grids (GeoJSON, 15-digit GB/T 30428 codes) on a lattice around lat 30.27,
 * lon 120.15, collectors, category catalog with routing rules and deadlines, work calendar and
 * demo users. A real city replaces the JSON files with its own and never runs this.
 *
 *   npx tsx central/seed/generate.ts
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HANDLER_UNITS } from './handler-units.js';

const out = dirname(fileURLToPath(import.meta.url));
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
  /** scoring weight: 0.1 for units directly under the bureau, 0.2 for districts */
  weight?: number;
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
const bureauUnits: [string, string, string, string][] = [
  ['zfzd', '市城管执法支队', 'Urban Management Enforcement Detachment', 'enforcement'],
  ['gazf', '市公安局综合执法支队', 'Police Comprehensive Enforcement Detachment', 'police'],
  ['hwc', '市环境卫生管理处', 'Sanitation Administration', 'sanitation'],
  ['ylc', '市园林绿化管理处', 'Parks & Greening Administration', 'parks'],
  ['ldc', '市路灯管理处', 'Street Lighting Administration', 'lighting'],
  ['bhfg', '滨河风光带管理办公室', 'Riverside Scenic Belt Office', 'riverside'],
  ['wygs', '城投物业管理有限公司', 'City Property Management Co.', 'property'],
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

const areas = [
  { id: 'dc', code: '330102', name: '东城区', en: 'Dongcheng District', kind: 'district', grids: 32 },
  { id: 'xc', code: '330103', name: '西城区', en: 'Xicheng District', kind: 'district', grids: 30 },
  { id: 'nh', code: '330105', name: '南湖区', en: 'Nanhu District', kind: 'district', grids: 28 },
  { id: 'bs', code: '330106', name: '北山区', en: 'Beishan District', kind: 'district', grids: 25 },
  { id: 'gx', code: '330191', name: '高新技术开发区', en: 'High-tech Zone', kind: 'zone', grids: 25 },
  {
    id: 'jk',
    code: '330192',
    name: '经济技术开发区',
    en: 'Economic Development Zone',
    kind: 'zone',
    grids: 25,
  },
  { id: 'lg', code: '330193', name: '临港新区', en: 'Port New Area', kind: 'zone', grids: 20 },
];
const STREET_NAMES = [
  '湖滨',
  '清波',
  '小营',
  '望江',
  '南星',
  '紫阳',
  '凯旋',
  '采荷',
  '闸弄口',
  '四季青',
  '笕桥',
  '丁兰',
];
const COMMUNITY_NAMES = [
  '东坡',
  '柳营',
  '青年',
  '勤俭',
  '定安',
  '吴山',
  '金钗袋',
  '清河坊',
  '孝女',
  '星福',
  '新风',
  '大学路',
];

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
        en: `${a.en} Enforcement Bureau`,
        kind: 'district_bureau',
        parentId: a.id,
        function: 'enforcement',
        assessed: true,
        weight: 0.2,
      },
      {
        id: `${a.id}-hw`,
        name: `${a.name}环境卫生管理局`,
        en: `${a.en} Sanitation Bureau`,
        kind: 'district_bureau',
        parentId: a.id,
        function: 'sanitation',
        assessed: true,
        weight: 0.2,
      },
      {
        id: `${a.id}-yl`,
        name: `${a.name}园林局`,
        en: `${a.en} Parks Bureau`,
        kind: 'district_bureau',
        parentId: a.id,
        function: 'parks',
        assessed: true,
        weight: 0.2,
      },
    );
  } else {
    units.push({
      id: `${a.id}-zf`,
      name: `${a.name}城管执法大队`,
      en: `${a.en} Enforcement Brigade`,
      kind: 'zone_brigade',
      parentId: a.id,
      function: 'enforcement',
      assessed: true,
      weight: 0.2,
    });
  }
}

// Lattice: 15 columns × 13 rows of ~1.3 km cells around the centre, walked row by row in a
// serpentine so each area and street is a contiguous band.
const COLS = 15;
const ROWS = 13;
const DLAT = 0.012;
const DLON = 0.014;
const LAT0 = 30.27 - (ROWS * DLAT) / 2;
const LON0 = 120.15 - (COLS * DLON) / 2;
const cells: [number, number][] = [];
for (let r = 0; r < ROWS; r++) for (let k = 0; k < COLS; k++) cells.push([r, r % 2 ? COLS - 1 - k : k]);

const features: unknown[] = [];
const collectors: { id: string; name: string; gridCodes: string[] }[] = [];
let cell = 0;
for (const a of areas) {
  const streetsN = Math.ceil(a.grids / 5);
  for (let s = 0; s < streetsN; s++) {
    const streetCode = String(s + 1).padStart(3, '0');
    const streetId = `${a.id}-s${streetCode}`;
    const streetName = `${a.name.slice(0, 2)}${STREET_NAMES[s % STREET_NAMES.length]}街道`;
    units.push({
      id: streetId,
      name: streetName,
      en: `${a.en} street ${streetCode}`,
      kind: 'street',
      parentId: a.id,
      areaCode: a.code + streetCode,
      assessed: false,
    });
    for (let m = 0; m < 5 && s * 5 + m < a.grids; m++) {
      const commCode = String(m + 1).padStart(3, '0');
      const communityId = `${streetId}-c${commCode}`;
      const code = `${a.code}${streetCode}${commCode}001`;
      const name = `${streetName.replace('街道', '')}${COMMUNITY_NAMES[(s * 5 + m) % COMMUNITY_NAMES.length]}社区`;
      units.push({
        id: communityId,
        name,
        en: `community ${code}`,
        kind: 'community',
        parentId: streetId,
        areaCode: code.slice(0, 12),
        assessed: false,
      });
      const [r, k] = cells[cell++];
      const lat = LAT0 + r * DLAT;
      const lon = LON0 + k * DLON;
      const ring = [
        [lon, lat],
        [lon + DLON, lat],
        [lon + DLON, lat + DLAT],
        [lon, lat + DLAT],
        [lon, lat],
      ];
      const collectorId = `col-${String(collectors.length + 1).padStart(3, '0')}`;
      collectors.push({ id: collectorId, name: `${name}采集员`, gridCodes: [code] });
      features.push({
        type: 'Feature',
        properties: { code, name, communityId, streetId, areaId: a.id, collectorIds: [collectorId] },
        geometry: {
          type: 'Polygon',
          coordinates: [ring.map(([x, y]) => [Number(x.toFixed(6)), Number(y.toFixed(6))])],
        },
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
  ...HANDLER_UNITS.map((u) => ({
    id: `u-h-${u}`,
    name: `${units.find((x) => x.id === u)!.name}处置员`,
    role: 'unit_handler',
    unitId: u,
    tokenSha256: sha(`demo-handler-${u}`),
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
