/**
 * @module console/views/scores
 * The month's assessment by level: each unit's item deductions (opening onto the events behind
 * them), bonus, raw and weighted score and rank; trends over the year as a chart; collectors'
 * quota progress; bonus items awaiting a leader's approval; exports (CSV / Excel) from scoring.
 */
import { api, download } from '../api.js';
import { lineChart } from '../chart.js';
import { clear, field, h, toast } from '../dom.js';
import { fmtDateTime, fmtNum, getLang, t } from '../i18n.js';
import { refdata, unitName } from '../refdata.js';

const thisMonth = () => {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
};

export async function mount(root, ctx) {
  const rd = await refdata();
  const levels = await api.levels().catch(() => [{ id: 'bureau' }]);
  const month = h('input', {
    type: 'month',
    id: 'sc-month',
    value: sessionStorage.getItem('cg.month') ?? thisMonth(),
  });
  const level = h(
    'select',
    { id: 'sc-level' },
    ...(levels.length ? levels : [{ id: 'bureau' }]).map((u) =>
      h('option', { value: u.id }, unitName(rd, u.id)),
    ),
  );
  level.value = 'bureau';
  const body = h('div', { id: 'scores-body' });
  const reload = () =>
    load().catch((e) =>
      clear(body).append(h('p', { class: 'error', role: 'alert' }, `${t('error')}: ${e.message}`)),
    );
  month.addEventListener('change', reload);
  level.addEventListener('change', reload);
  const exp = (format) =>
    h(
      'button',
      {
        type: 'button',
        id: `export-${format}`,
        onclick: () =>
          download(
            api.exportUrl(month.value, format, level.value),
            `scores-${level.value}-${month.value}.${format}`,
          ).catch((e) => toast(`${t('error')}: ${e.message}`, 'err')),
      },
      t(`scores.export.${format}`),
    );
  root.append(
    h(
      'div',
      { class: 'pagehead' },
      h('h1', {}, t('nav.scores')),
      field(t('scores.month'), month),
      field(t('scores.level'), level),
      exp('csv'),
      exp('xlsx'),
    ),
    body,
  );

  async function load() {
    sessionStorage.setItem('cg.month', month.value);
    const r = await api.scores(month.value, level.value);
    const items = r.includedItems ?? Object.keys(r.members?.[0]?.items ?? {});
    const itemName = (k) => r.members?.[0]?.items?.[k]?.zh ?? k;
    const detail = h('div', { class: 'card', id: 'score-events', hidden: true });
    const showEvents = (m, k) => {
      const it = m.items[k];
      detail.hidden = false;
      clear(detail).append(
        h('h2', {}, `${m.name} · ${itemName(k)} · −${fmtNum(it.deduction, 2)}`),
        it.events.length
          ? h(
              'table',
              { class: 'grid' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ...['scores.event', 'scores.points', 'f.created', 'f.id'].map((x) =>
                    h('th', { scope: 'col' }, t(x)),
                  ),
                ),
              ),
              h(
                'tbody',
                {},
                ...it.events.map((e) =>
                  h(
                    'tr',
                    {},
                    h('td', {}, t(`scoreevent.${e.kind}`)),
                    h('td', {}, fmtNum(e.points, 2)),
                    h('td', {}, fmtDateTime(e.at)),
                    h(
                      'td',
                      {},
                      e.caseId
                        ? h('a', { href: `#/case/${encodeURIComponent(e.caseId)}` }, e.caseId.slice(-8))
                        : (e.deviceId ?? e.collectorId ?? ''),
                    ),
                  ),
                ),
              ),
            )
          : h('p', { class: 'muted' }, t('scores.noevents')),
      );
      detail.scrollIntoView({ block: 'nearest' });
    };
    const table = h(
      'table',
      { class: 'grid scores', id: 'score-table' },
      h(
        'caption',
        {},
        `${r.levelName ?? unitName(rd, r.levelId)} · ${month.value} · ${t(`scores.status.${r.status ?? 'provisional'}`)}`,
      ),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, t('scores.rank')),
          h('th', { scope: 'col' }, t('f.unit')),
          ...items.map((k) => h('th', { scope: 'col' }, itemName(k))),
          ...['scores.bonus', 'scores.raw', 'scores.weight', 'scores.weighted'].map((k) =>
            h('th', { scope: 'col' }, t(k)),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        ...(r.members ?? []).map((m) =>
          h(
            'tr',
            {},
            h('td', {}, fmtNum(m.rank)),
            h('th', { scope: 'row' }, getLang() === 'en' ? unitName(rd, m.unitId) : m.name),
            ...items.map((k) => {
              const it = m.items[k];
              if (!it?.included) return h('td', { class: 'muted' }, '—');
              return h(
                'td',
                {},
                h(
                  'button',
                  { type: 'button', class: 'link', onclick: () => showEvents(m, k) },
                  it.deduction ? `−${fmtNum(it.deduction, 2)}` : '0',
                ),
              );
            }),
            h('td', {}, m.bonus ? `+${fmtNum(m.bonus, 2)}` : '0'),
            h('td', {}, fmtNum(m.raw, 2)),
            h('td', {}, `${fmtNum(m.weight * 100)}%`),
            h('td', {}, h('b', {}, fmtNum(m.weighted, 2))),
          ),
        ),
      ),
    );
    const collectors = (r.members ?? []).flatMap((m) => m.collectors ?? []);
    const quota = h(
      'section',
      { class: 'card' },
      h('h2', {}, t('scores.collectors')),
      collectors.length
        ? h(
            'ul',
            { class: 'quota' },
            ...collectors
              .slice(0, 60)
              .map((c) =>
                h(
                  'li',
                  {},
                  h('span', {}, c.name),
                  h('progress', { max: c.quota, value: Math.min(c.valid, c.quota), 'aria-label': c.name }),
                  h(
                    'span',
                    { class: c.shortfall ? 'bad' : 'good' },
                    `${fmtNum(c.valid)} / ${fmtNum(c.quota)}`,
                  ),
                ),
              ),
          )
        : h('p', { class: 'muted' }, '—'),
    );
    clear(body).append(table, detail, h('div', { class: 'cols2' }, await trend(r), quota), await bonuses());
  }

  /** The year so far, one line per unit (top five of this month), from scoring's annual view. */
  async function trend(r) {
    const y = Number(month.value.slice(0, 4));
    const a = await api.annual(y, level.value).catch(() => null);
    const upto = month.value;
    const rows = new Map((a?.rows ?? []).map((x) => [x.unitId, x]));
    const months = (a?.rows?.[0]?.months ?? []).map((m) => m.month).filter((m) => m <= upto);
    const series = (r.members ?? []).slice(0, 5).map((u) => ({
      name: getLang() === 'en' ? unitName(rd, u.unitId) : u.name,
      values: months.map((m) => rows.get(u.unitId)?.months.find((x) => x.month === m)?.raw ?? null),
    }));
    return h(
      'section',
      { class: 'card', id: 'trend' },
      h('h2', {}, t('scores.trend', { year: y })),
      months.length
        ? lineChart({
            labels: months.map((mm) => mm.slice(5)),
            series,
            title: t('scores.trend', { year: y }),
          })
        : h('p', { class: 'muted' }, '—'),
    );
  }

  async function bonuses() {
    const list = await api.bonuses(month.value).catch(() => null);
    const sec = h('section', { class: 'card', id: 'bonus' }, h('h2', {}, t('scores.bonusItems')));
    const all = list?.items ?? (Array.isArray(list) ? list : []);
    if (!all.length) {
      sec.append(h('p', { class: 'muted' }, '—'));
      return sec;
    }
    const mayDecide = ctx.me.role === 'leader' || ctx.me.role === 'admin';
    sec.append(
      h(
        'table',
        { class: 'grid' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['f.unit', 'scores.points', 'scores.reason', 'f.state', ''].map((k) =>
              h('th', { scope: 'col' }, k ? t(k) : ''),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          ...all.map((b) =>
            h(
              'tr',
              {},
              h('td', {}, unitName(rd, b.unitId)),
              h('td', {}, `+${fmtNum(b.points, 2)}`),
              h('td', {}, b.reason),
              h('td', {}, t(`bonus.${b.state}`)),
              h(
                'td',
                {},
                mayDecide && b.state === 'pending'
                  ? [
                      h(
                        'button',
                        { type: 'button', class: 'primary', onclick: () => decide(b, 'approve') },
                        t('bonus.approve'),
                      ),
                      h(
                        'button',
                        { type: 'button', class: 'danger', onclick: () => decide(b, 'reject') },
                        t('bonus.reject'),
                      ),
                    ]
                  : null,
              ),
            ),
          ),
        ),
      ),
    );
    return sec;
  }

  async function decide(b, d) {
    try {
      await api.decideBonus(b.id, d);
      toast(t(`bonus.done.${d}`));
      await load();
    } catch (e) {
      toast(`${t('error')}: ${e.message}`, 'err');
    }
  }

  await reload();
}
