/**
 * @module central/scoring/tables
 * Scores, deductions, annual results, indicators and collectors' quotas as export tables with
 * Chinese column headers (see export.ts for the file formats).
 */
import type { LevelResult } from './engine.js';
import { EVENT_KINDS } from './events.js';
import { localTime, type Table } from './export.js';
import type { CollectorIndicators, UnitIndicators } from './indicators.js';
import type { AnnualRow, MonthScores } from './monthly.js';
import { ITEM_KEYS, ITEMS } from './rules.js';

const STATUS = { provisional: '暂算', closed: '已关账', not_assessed: '未考核（上线前）' } as const;

export function scoresTable(s: MonthScores): Table {
  const r = s.result;
  return {
    title: `${r.month} ${r.levelName} 月度考核得分`,
    fileStem: `scores-${r.levelId}-${r.month}`,
    columns: [
      { key: 'rank', header: '排名' },
      { key: 'unitId', header: '单位编码' },
      { key: 'name', header: '单位名称' },
      ...ITEM_KEYS.map((k) => ({ key: k, header: `${ITEMS[k].zh}扣分` })),
      { key: 'deductions', header: '扣分合计' },
      { key: 'bonus', header: '加分' },
      { key: 'raw', header: '得分（百分制）' },
      { key: 'weight', header: '权重', percent: true },
      { key: 'weighted', header: '折算得分' },
      { key: 'status', header: '状态' },
    ],
    rows: r.members.map((m) => ({
      rank: m.rank,
      unitId: m.unitId,
      name: m.name,
      ...Object.fromEntries(ITEM_KEYS.map((k) => [k, m.items[k].included ? m.items[k].deduction : '不考核'])),
      deductions: m.deductions,
      bonus: m.bonus,
      raw: m.raw,
      weight: m.weight,
      weighted: m.weighted,
      status: STATUS[s.status],
    })),
  };
}

const unitName = (r: LevelResult, id: string) => r.members.find((m) => m.unitId === id)?.name ?? id;

export function eventsTable(r: LevelResult, unitId?: string): Table {
  const rows = r.members
    .filter((m) => !unitId || m.unitId === unitId)
    .flatMap((m) =>
      ITEM_KEYS.flatMap((k) =>
        m.items[k].events.map((e) => ({
          unitId: m.unitId,
          name: m.name,
          item: ITEMS[k].zh,
          included: m.items[k].included ? '是' : '否（本月不考核）',
          kind: EVENT_KINDS[e.kind],
          at: localTime(e.at),
          caseNumber: e.caseNumber,
          caseId: e.caseId,
          deviceId: e.deviceId,
          collectorId: e.collectorId,
          category: e.category,
          quantity: e.quantity,
          points: e.points,
        })),
      ),
    );
  return {
    title: `${r.month} ${r.levelName}${unitId ? ` ${unitName(r, unitId)}` : ''} 扣分明细`,
    fileStem: `deductions-${unitId ?? r.levelId}-${r.month}`,
    columns: [
      { key: 'unitId', header: '单位编码' },
      { key: 'name', header: '单位名称' },
      { key: 'item', header: '考核项目' },
      { key: 'included', header: '本月考核' },
      { key: 'kind', header: '扣分事由' },
      { key: 'at', header: '记录时间' },
      { key: 'caseNumber', header: '案卷号' },
      { key: 'caseId', header: '案件ID' },
      { key: 'deviceId', header: '设备编号' },
      { key: 'collectorId', header: '采集员编号' },
      { key: 'category', header: '问题类别' },
      { key: 'quantity', header: '数量' },
      { key: 'points', header: '扣分' },
    ],
    rows,
  };
}

export function annualTable(year: number, levelName: string, rows: AnnualRow[], levelId = 'level'): Table {
  return {
    title: `${year}年 ${levelName} 年度考核得分`,
    fileStem: `annual-${levelId}-${year}`,
    columns: [
      { key: 'rank', header: '排名' },
      { key: 'unitId', header: '单位编码' },
      { key: 'name', header: '单位名称' },
      { key: 'weight', header: '权重', percent: true },
      ...Array.from({ length: 12 }, (_, i) => ({ key: `m${i + 1}`, header: `${i + 1}月` })),
      { key: 'annual', header: '年度得分' },
      { key: 'annualRaw', header: '年度百分制' },
    ],
    rows: rows.map((r) => ({
      rank: r.rank,
      unitId: r.unitId,
      name: r.name,
      weight: r.weight,
      ...Object.fromEntries(r.months.map((m, i) => [`m${i + 1}`, m.weighted])),
      annual: r.annual,
      annualRaw: r.annualRaw,
    })),
  };
}

export function indicatorsTable(
  month: string,
  units: UnitIndicators[],
  level?: { id: string; name: string },
): Table {
  return {
    title: `${month}${level ? ` ${level.name}` : ''} 单位考核指标`,
    fileStem: `indicators-${level?.id ?? 'level'}-${month}`,
    columns: [
      { key: 'unitId', header: '单位编码' },
      { key: 'name', header: '单位名称' },
      { key: 'registered', header: '立案数' },
      { key: 'due', header: '应结案数' },
      { key: 'closed', header: '结案数' },
      { key: 'closedOnTime', header: '按期结案数' },
      { key: 'reworked', header: '返工数' },
      { key: 'returned', header: '回退数' },
      { key: 'overdue', header: '超期数' },
      { key: 'closingRate', header: '结案率', percent: true },
      { key: 'onTimeRate', header: '按期结案率', percent: true },
      { key: 'reworkRate', header: '返工率', percent: true },
    ],
    rows: units.map((u) => ({ ...u })),
  };
}

export interface CollectorRow {
  collectorId: string;
  name: string;
  gridCodes: string[];
  unitId: string;
  unitName: string;
  valid: number;
  quota: number;
  shortfall: number;
  indicators?: CollectorIndicators;
}

export function collectorsTable(
  month: string,
  rows: CollectorRow[],
  unit?: { id: string; name: string },
): Table {
  return {
    title: `${month}${unit ? ` ${unit.name}` : ''} 信息采集员有效上报`,
    fileStem: `collectors-${unit?.id ?? 'all'}-${month}`,
    columns: [
      { key: 'collectorId', header: '采集员编号' },
      { key: 'name', header: '姓名' },
      { key: 'grids', header: '网格编码' },
      { key: 'unitName', header: '所属单位' },
      { key: 'reported', header: '上报数' },
      { key: 'valid', header: '有效上报数' },
      { key: 'rejected', header: '不予立案数' },
      { key: 'quota', header: '月定额' },
      { key: 'shortfall', header: '差额' },
      { key: 'validRate', header: '有效率', percent: true },
    ],
    rows: rows.map((r) => ({
      collectorId: r.collectorId,
      name: r.name,
      grids: r.gridCodes.join(' '),
      unitName: r.unitName,
      reported: r.indicators?.reported,
      valid: r.valid,
      rejected: r.indicators?.rejected,
      quota: r.quota,
      shortfall: r.shortfall,
      validRate: r.indicators?.validRate,
    })),
  };
}
