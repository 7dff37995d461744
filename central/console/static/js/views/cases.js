/**
 * @module console/views/cases
 * Cases by workflow step: a board (one column per step) or a list, with filters (state, source,
 * category, unit, overdue). Overdue cases are marked. Changes arrive live.
 */
import { api, items } from '../api.js';
import { clear, field, h } from '../dom.js';
import { fmtDateTime, fmtNum, t } from '../i18n.js';
import { onCaseEvent } from '../live.js';
import { catName, refdata, unitName } from '../refdata.js';

/** Board columns: open states by workflow step. */
const COLUMNS = [
  ['reported'],
  ['registered', 'returned'],
  ['dispatched'],
  ['processing', 'extension_pending'],
  ['feedback'],
  ['suspended'],
];
const UNIT_COLUMNS = [['dispatched'], ['processing', 'extension_pending'], ['feedback']];

export async function mount(root, ctx) {
  const rd = await refdata();
  const saved = JSON.parse(sessionStorage.getItem('cg.caseFilter') ?? '{}');
  const f = { view: 'board', state: '', source: '', category: '', unitId: '', overdue: '', ...saved };

  const sel = (id, key, options) => {
    const s = h(
      'select',
      {
        id,
        onchange: () => {
          f[key] = s.value;
          reload();
        },
      },
      h('option', { value: '' }, t('filter.all')),
      ...options,
    );
    s.value = f[key];
    return s;
  };
  const states = Object.keys(ctx.meta.states);
  const filters = h(
    'form',
    { class: 'filters', onsubmit: (e) => e.preventDefault(), 'aria-label': t('filter.title') },
    field(
      t('f.state'),
      sel(
        'flt-state',
        'state',
        states.map((s) => h('option', { value: s }, ctx.stateLabel(s))),
      ),
    ),
    field(
      t('f.source'),
      sel(
        'flt-source',
        'source',
        Object.keys(ctx.meta.sources).map((s) => h('option', { value: s }, ctx.sourceLabel(s))),
      ),
    ),
    field(
      t('f.category'),
      sel(
        'flt-category',
        'category',
        rd.categories.map((c) => h('option', { value: c.code }, catName(rd, c.code))),
      ),
    ),
    ctx.seesAll
      ? field(
          t('f.unit'),
          sel(
            'flt-unit',
            'unitId',
            rd.units.filter((u) => u.assessed).map((u) => h('option', { value: u.id }, unitName(rd, u.id))),
          ),
        )
      : null,
    field(
      t('f.overdue'),
      sel('flt-overdue', 'overdue', [
        h('option', { value: 'true' }, t('overdue.yes')),
        h('option', { value: 'false' }, t('overdue.no')),
      ]),
    ),
    h(
      'div',
      { class: 'seg', role: 'group', 'aria-label': t('cases.view') },
      ...['board', 'list'].map((v) =>
        h(
          'button',
          {
            type: 'button',
            id: `view-${v}`,
            'aria-pressed': String(f.view === v),
            onclick: () => {
              f.view = v;
              reload();
            },
          },
          t(`cases.${v}`),
        ),
      ),
    ),
  );
  const body = h('div', { id: 'cases-body' });
  const total = h('span', { class: 'badge' });
  root.append(h('div', { class: 'pagehead' }, h('h1', {}, t('nav.cases'), ' ', total)), filters, body);

  async function reload() {
    sessionStorage.setItem('cg.caseFilter', JSON.stringify(f));
    for (const b of filters.querySelectorAll('.seg button'))
      b.setAttribute('aria-pressed', String(b.id === `view-${f.view}`));
    const q = {
      state: f.state,
      source: f.source,
      category: f.category,
      unitId: f.unitId,
      overdue: f.overdue,
      limit: 500,
    };
    const r = await api.cases(q);
    const list = items(r);
    total.textContent = fmtNum(r.total ?? list.length);
    clear(body).append(f.view === 'board' ? board(list) : table(list));
  }

  const card = (c) =>
    h(
      'a',
      {
        class: `ccard${c.overdue ? ' overdue' : ''}`,
        href: `#/case/${encodeURIComponent(c.id)}`,
        dataset: { id: c.id },
      },
      h('b', {}, catName(rd, c.category)),
      h('span', { class: 'muted' }, ctx.sourceLabel(c.source)),
      c.unitId ? h('span', {}, unitName(rd, c.unitId)) : null,
      c.deadline ? h('span', {}, `${t('f.deadline')} ${fmtDateTime(c.deadline)}`) : null,
      c.overdue ? h('span', { class: 'tag bad' }, t('overdue.mark')) : null,
      c.counts?.reworks ? h('span', { class: 'tag' }, `${t('f.reworks')} ${c.counts.reworks}`) : null,
    );

  function board(list) {
    // a unit sees the steps it works in; the centre sees every open step
    const cols = f.state ? [[f.state]] : ctx.me.role === 'unit_handler' ? UNIT_COLUMNS : COLUMNS;
    return h(
      'div',
      { class: 'board' },
      ...cols.map((col) => {
        const here = list.filter((c) => col.includes(c.state));
        return h(
          'section',
          { class: 'col', 'aria-label': col.map(ctx.stateLabel).join(' / ') },
          h(
            'h2',
            {},
            col.map(ctx.stateLabel).join(' / '),
            ' ',
            h('span', { class: 'badge' }, fmtNum(here.length)),
          ),
          ...here.map(card),
        );
      }),
    );
  }

  function table(list) {
    return h(
      'table',
      { class: 'grid' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['f.id', 'f.category', 'f.state', 'f.source', 'f.unit', 'f.created', 'f.deadline'].map((k) =>
            h('th', { scope: 'col' }, t(k)),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        ...list.map((c) =>
          h(
            'tr',
            { class: c.overdue ? 'overdue' : '' },
            h('td', {}, h('a', { href: `#/case/${encodeURIComponent(c.id)}` }, c.id.slice(-8))),
            h('td', {}, catName(rd, c.category)),
            h(
              'td',
              {},
              ctx.stateLabel(c.state),
              c.overdue ? h('span', { class: 'tag bad' }, t('overdue.mark')) : null,
            ),
            h('td', {}, ctx.sourceLabel(c.source)),
            h('td', {}, c.unitId ? unitName(rd, c.unitId) : '—'),
            h('td', {}, fmtDateTime(c.createdAt)),
            h('td', {}, fmtDateTime(c.deadline)),
          ),
        ),
      ),
    );
  }

  let pending;
  const off = onCaseEvent(() => {
    clearTimeout(pending);
    pending = setTimeout(() => reload().catch(() => {}), 300);
  });
  await reload();
  return () => {
    off();
    clearTimeout(pending);
  };
}
