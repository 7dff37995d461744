/**
 * @module console/views/queue
 * The confirmation queue: AI and vehicle incidents waiting in `reported`. The annotated frame
 * large, the clean frame a key away; confirm (register with category and grid prefilled) or
 * reject as a false positive with a reason, all by keyboard. New incidents arrive live.
 *
 * Keys: j/↓ next, k/↑ previous, c clean/annotated, e next evidence image, Enter or a confirm,
 * x reject (1–4 picks the reason, Enter submits, Esc cancels).
 */
import { api, imageUrl, items } from '../api.js';
import { clear, field, h, toast, typing } from '../dom.js';
import { fmtAgo, fmtDateTime, fmtNum, fmtPct, t } from '../i18n.js';
import { onCaseEvent } from '../live.js';
import { catName, gridName, refdata } from '../refdata.js';

const QUEUE_SOURCES = ['ai', 'vehicle'];

export async function mount(root, ctx) {
  const rd = await refdata();
  let list = [];
  let sel = 0;
  let showClean = false;
  let evIdx = 0;
  let rejecting = false;
  let busy = false;
  const fresh = new Set();

  const listEl = h('ol', { class: 'qlist', role: 'listbox', 'aria-label': t('queue.list') });
  const detail = h('section', { class: 'qdetail', 'aria-live': 'polite' });
  const count = h('span', { class: 'badge', id: 'queue-count' });
  root.append(
    h(
      'div',
      { class: 'pagehead' },
      h('h1', {}, t('nav.queue'), ' ', count),
      h('p', { class: 'muted keys' }, t('queue.keys')),
    ),
    h('div', { class: 'queue' }, listEl, detail),
  );

  /** `changed`: a case id the live stream reported; its detail is redrawn unless being edited */
  async function load(changed) {
    const r = await api.cases({ state: 'reported', source: QUEUE_SOURCES.join(','), limit: 500 });
    const prev = list[sel]?.id;
    list = items(r)
      .filter((c) => c.state === 'reported' && QUEUE_SOURCES.includes(c.source))
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
    const i = list.findIndex((c) => c.id === prev);
    sel = i >= 0 ? i : Math.min(sel, Math.max(0, list.length - 1));
    renderList();
    const editing = rejecting || detail.contains(document.activeElement);
    if (list[sel]?.id !== prev || !prev || (changed === prev && !editing)) await renderDetail();
  }

  function renderList() {
    count.textContent = fmtNum(list.length);
    clear(listEl);
    if (!list.length) listEl.append(h('li', { class: 'empty' }, t('queue.empty')));
    list.forEach((c, i) => {
      listEl.append(
        h(
          'li',
          {
            class: `qitem${i === sel ? ' sel' : ''}${fresh.has(c.id) ? ' fresh' : ''}`,
            role: 'option',
            tabindex: i === sel ? 0 : -1,
            'aria-selected': i === sel ? 'true' : 'false',
            dataset: { id: c.id },
            onclick: () => select(i),
            onkeydown: (ev) => {
              if (ev.key !== ' ') return;
              ev.preventDefault();
              select(i);
            },
          },
          h('b', {}, catName(rd, c.category)),
          h('span', {}, c.refs?.deviceId ?? c.reporter?.id ?? ''),
          h('time', { datetime: c.createdAt }, fmtAgo(c.createdAt)),
        ),
      );
    });
  }

  async function select(i) {
    if (i < 0 || i >= list.length) return;
    sel = i;
    showClean = false;
    evIdx = 0;
    rejecting = false;
    fresh.delete(list[i].id);
    renderList();
    listEl.children[i]?.scrollIntoView({ block: 'nearest' });
    await renderDetail();
  }

  async function renderDetail() {
    clear(detail);
    const c = list[sel];
    if (!c) return;
    // the list omits history and incidents; the case detail carries both
    const full = await api.case(c.id).catch(() => c);
    const inc = full.incidents?.[0];
    const latest = inc?.latest ?? {};
    const pics = pickEvidence(c, showClean);
    const pic = pics[evIdx % Math.max(1, pics.length)];
    const img = h('img', {
      class: 'evidence',
      alt: pic ? `${t(`evrole.${pic.role}`)} ${pic.name}` : t('queue.noimage'),
    });
    if (pic)
      imageUrl(pic.name)
        .then((u) => {
          img.src = u;
        })
        .catch(() => img.replaceWith(h('p', { class: 'error' }, t('queue.noimage'))));

    const cat = h(
      'select',
      { id: 'q-category' },
      ...rd.categories.map((x) => h('option', { value: x.code }, catName(rd, x.code))),
    );
    if (!rd.category.has(c.category)) cat.append(h('option', { value: c.category }, c.category));
    cat.value = c.category;
    const grid = h('input', {
      id: 'q-grid',
      value: c.location?.gridCode ?? '',
      pattern: '\\d{15}',
      inputmode: 'numeric',
    });
    const note = h('input', { id: 'q-note', placeholder: t('queue.note') });
    const reason = h(
      'select',
      { id: 'q-reason' },
      ...(ctx.meta.rejectReasons ?? ['false_positive']).map((r, i) =>
        h('option', { value: r }, `${i + 1} · ${t(`reject.${r}`)}`),
      ),
    );

    const facts = [
      [t('f.kind'), latest.kind ? ctx.kindLabel(latest.kind) : '—'],
      [t('f.category'), catName(rd, c.category)],
      [t('f.source'), ctx.sourceLabel(c.source)],
      [
        t(c.source === 'vehicle' ? 'f.vehicle' : 'f.camera'),
        `${c.refs?.deviceId ?? '—'} @ ${c.refs?.gatewayId ?? '—'}`,
      ],
      [t('f.zone'), c.refs?.zoneId ?? latest.location?.zoneId ?? '—'],
      [t('f.rule'), latest.producer?.rule ?? '—'],
      [
        t('f.model'),
        latest.producer?.model
          ? `${latest.producer.model.name ?? ''} ${latest.producer.model.version ?? ''}`
          : '—',
      ],
      [t('f.confidence'), latest.confidence !== undefined ? fmtPct(latest.confidence) : '—'],
      [t('f.observed'), fmtDateTime(latest.startedAt ?? c.createdAt)],
      [t('f.grid'), gridName(rd, c.location?.gridCode)],
      [
        t('f.address'),
        c.location?.address ??
          (c.location?.lat ? `${c.location.lat.toFixed(5)}, ${c.location.lon.toFixed(5)}` : '—'),
      ],
      [t('f.description'), c.description || '—'],
    ];
    const revs =
      inc?.revisions ??
      (full.history ?? []).filter((e) => e.action.startsWith('incident_') || e.action === 'report');
    detail.append(
      h(
        'figure',
        { class: 'evfig' },
        img,
        h(
          'figcaption',
          {},
          pic ? t(`evrole.${pic.role}`) : '',
          ` · ${t('queue.imgof', { i: pics.length ? (evIdx % pics.length) + 1 : 0, n: pics.length })} · `,
          h('kbd', {}, 'c'),
          ' ',
          showClean ? t('queue.showAnnotated') : t('queue.showClean'),
        ),
      ),
      h(
        'div',
        { class: 'qside' },
        h('dl', { class: 'facts' }, ...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
        h('h2', {}, t('queue.timeline')),
        h(
          'ol',
          { class: 'timeline' },
          ...revs.map((r) =>
            h(
              'li',
              {},
              h(
                'b',
                {},
                t(
                  `lifecycle.${r.lifecycle ?? (r.action === 'incident_end' ? 'end' : r.action === 'report' ? 'new' : 'update')}`,
                ),
              ),
              ' ',
              fmtDateTime(r.observedAt ?? r.at),
            ),
          ),
        ),
        ctx.can('register', c)
          ? h(
              'form',
              {
                class: 'qform',
                onsubmit: (ev) => {
                  ev.preventDefault();
                  confirm();
                },
              },
              field(t('f.category'), cat),
              field(t('f.grid'), grid),
              field(t('f.note'), note),
              h(
                'div',
                { class: 'row' },
                h(
                  'button',
                  { type: 'submit', class: 'primary', id: 'q-confirm' },
                  t('queue.confirm'),
                  ' ',
                  h('kbd', {}, 'Enter'),
                ),
                h(
                  'button',
                  { type: 'button', class: 'danger', id: 'q-reject', onclick: () => startReject() },
                  t('queue.reject'),
                  ' ',
                  h('kbd', {}, 'x'),
                ),
              ),
              h(
                'div',
                { class: 'reject', hidden: !rejecting },
                field(t('queue.reason'), reason),
                h(
                  'button',
                  { type: 'button', class: 'danger', id: 'q-reject-go', onclick: () => reject() },
                  t('queue.rejectGo'),
                ),
              ),
            )
          : null,
      ),
    );
    detail.dataset.caseId = c.id;
  }

  function startReject() {
    rejecting = true;
    const box = detail.querySelector('.reject');
    if (box) box.hidden = false;
    detail.querySelector('#q-reason')?.focus();
  }

  async function act(action, body, okMsg) {
    const c = list[sel];
    if (!c || busy) return;
    busy = true;
    try {
      await api.act(c.id, action, body);
      toast(okMsg);
      list.splice(sel, 1);
      sel = Math.min(sel, Math.max(0, list.length - 1));
      rejecting = false;
      renderList();
      await renderDetail();
    } catch (e) {
      toast(`${t('error')}: ${e.message}`, 'err');
    } finally {
      busy = false;
    }
  }
  function confirm() {
    const gridCode = detail.querySelector('#q-grid')?.value.trim() || undefined;
    const note = detail.querySelector('#q-note')?.value.trim() || undefined;
    return act(
      'register',
      { category: detail.querySelector('#q-category')?.value, gridCode, note },
      t('queue.confirmed'),
    );
  }
  function reject() {
    const reason = detail.querySelector('#q-reason')?.value ?? 'false_positive';
    const note = detail.querySelector('#q-note')?.value.trim() || undefined;
    return act('reject', { reason, note }, t('queue.rejected'));
  }

  function onKey(ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const inReason = ev.target?.id === 'q-reason';
    if (rejecting && (inReason || !typing(ev))) {
      if (ev.key === 'Escape') {
        rejecting = false;
        detail.querySelector('.reject').hidden = true;
        detail.querySelector('#q-confirm')?.focus();
      } else if (/^[1-9]$/.test(ev.key)) {
        const r = detail.querySelector('#q-reason');
        if (r?.options[Number(ev.key) - 1]) r.selectedIndex = Number(ev.key) - 1;
      } else if (ev.key === 'Enter') reject();
      else return;
      ev.preventDefault();
      return;
    }
    if (typing(ev)) return;
    const k = ev.key;
    if (k === 'j' || k === 'ArrowDown') select(sel + 1);
    else if (k === 'k' || k === 'ArrowUp') select(sel - 1);
    else if (k === 'c') {
      showClean = !showClean;
      evIdx = 0;
      renderDetail();
    } else if (k === 'e') {
      evIdx++;
      renderDetail();
    } else if ((k === 'Enter' && ev.target === document.body) || k === 'a') {
      if (ctx.can('register', list[sel])) confirm();
    } else if (k === 'x') {
      if (ctx.can('reject', list[sel])) startReject();
    } else return;
    ev.preventDefault();
  }
  document.addEventListener('keydown', onKey);
  const off = onCaseEvent((e) => {
    if (e.state === 'reported' && QUEUE_SOURCES.includes(e.source) && !list.some((c) => c.id === e.id)) {
      fresh.add(e.id);
      toast(t('queue.new'), 'info');
    }
    load(e.id).catch(() => {});
  });
  await load();
  return () => {
    document.removeEventListener('keydown', onKey);
    off();
  };
}

/** Annotated (or start/violation) frames first; with `clean` the clean frames first. */
function pickEvidence(c, clean) {
  const ev = (c.evidence ?? []).filter((e) => (e.contentType ?? 'image/').startsWith('image/'));
  const isClean = (e) => e.role === 'clean';
  const a = ev.filter((e) => !isClean(e));
  const b = ev.filter(isClean);
  return clean ? [...b, ...a] : [...a, ...b];
}
