/**
 * @module console/views/case
 * One case: facts, evidence and attachments, the full history timeline, and the actions the
 * signed-in role may take in the case's state (from the server's transition table). Each action
 * asks only for what it needs (a note, a unit, photos, a span of time).
 */
import { api, imageUrl } from '../api.js';
import { clear, field, h, toast } from '../dom.js';
import { fmtDateTime, t } from '../i18n.js';
import { onCaseEvent } from '../live.js';
import { catName, gridName, refdata, unitName } from '../refdata.js';

/** Actions whose note is required by central (actions.ts). */
const NOTE_REQUIRED = new Set(['return', 'request_extension', 'feedback', 'rework', 'suspend', 'cancel']);

export async function mount(root, ctx, [id]) {
  const rd = await refdata();
  let c;

  async function load() {
    c = await api.case(id);
    render();
  }

  function render() {
    clear(root);
    const facts = [
      [t('f.state'), ctx.stateLabel(c.state)],
      [t('f.source'), ctx.sourceLabel(c.source)],
      [t('f.category'), catName(rd, c.category)],
      [t('f.grid'), gridName(rd, c.location?.gridCode)],
      [
        t('f.address'),
        c.location?.address ??
          (c.location?.lat !== undefined
            ? `${c.location.lat.toFixed(5)}, ${c.location.lon.toFixed(5)}`
            : '—'),
      ],
      [
        t('f.unit'),
        c.unitId
          ? unitName(rd, c.unitId)
          : c.proposedUnitId
            ? `${unitName(rd, c.proposedUnitId)} (${t('case.proposed')})`
            : '—',
      ],
      [t('f.deadline'), c.deadline ? fmtDateTime(c.deadline) : '—'],
      [t('f.created'), fmtDateTime(c.createdAt)],
      [t('f.counts'), t('case.counts', c.counts ?? {})],
      [t('f.description'), c.description || '—'],
    ];
    if (c.rejection)
      facts.push([t('queue.reason'), `${t(`reject.${c.rejection.reason}`)} ${c.rejection.note ?? ''}`]);
    if (c.extensionRequest)
      facts.push([
        t('case.extensionAsked'),
        `${c.extensionRequest.value} ${t(`span.${c.extensionRequest.unit}`)} · ${c.extensionRequest.reason}`,
      ]);
    const actions = ctx.actionsFor(c);
    root.append(
      h(
        'div',
        { class: 'pagehead' },
        h('a', { href: '#/cases', class: 'back' }, `← ${t('nav.cases')}`),
        h(
          'h1',
          {},
          catName(rd, c.category),
          ' ',
          h('span', { class: `tag state-${c.state}` }, ctx.stateLabel(c.state)),
          c.overdue ? h('span', { class: 'tag bad' }, t('overdue.mark')) : null,
        ),
        h('p', { class: 'muted' }, `${t('f.id')} ${c.id}`),
      ),
      h(
        'div',
        { class: 'casegrid' },
        h(
          'section',
          {},
          h('dl', { class: 'facts' }, ...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
          gallery(t('case.evidence'), c.evidence ?? []),
          c.verificationEvidence?.length ? gallery(t('case.verification'), c.verificationEvidence) : null,
        ),
        h(
          'section',
          {},
          actions.length
            ? h(
                'div',
                { class: 'actions card', id: 'actions' },
                h('h2', {}, t('case.actions')),
                ...actions.map(actionForm),
              )
            : null,
          h('h2', {}, t('case.history')),
          h(
            'ol',
            { class: 'timeline', id: 'history' },
            ...(c.history ?? []).map((e) =>
              h(
                'li',
                {},
                h('b', {}, t(`action.${e.action}`)),
                e.to ? ` → ${ctx.stateLabel(e.to)}` : '',
                e.data?.unitId ? ` · ${unitName(rd, e.data.unitId)}` : '',
                e.data?.reason ? ` · ${t(`reject.${e.data.reason}`)}` : '',
                h('span', { class: 'muted' }, ` · ${fmtDateTime(e.at)} · ${e.actor?.id ?? ''}`),
                e.note ? h('p', {}, e.note) : null,
                e.attachments?.length ? h('div', { class: 'thumbs' }, ...e.attachments.map(thumb)) : null,
              ),
            ),
          ),
        ),
      ),
    );
  }

  function gallery(title, list) {
    return h(
      'div',
      { class: 'gallery' },
      h('h2', {}, title),
      list.length
        ? h('div', { class: 'thumbs' }, ...list.map((e) => thumb(e.name, e.role)))
        : h('p', { class: 'muted' }, '—'),
    );
  }

  function thumb(name, role) {
    const img = h('img', { alt: role ? t(`evrole.${role}`) : name, loading: 'lazy' });
    imageUrl(name)
      .then((u) => (img.src = u))
      .catch(() => (img.alt = `${name} ✗`));
    return h(
      'a',
      {
        href: '#',
        class: 'thumb',
        onclick: (ev) => {
          ev.preventDefault();
          zoom(img);
        },
      },
      img,
      role ? h('span', {}, t(`evrole.${role}`)) : null,
    );
  }

  function zoom(img) {
    const dlg = h(
      'dialog',
      { class: 'zoom', onclose: () => dlg.remove() },
      h('img', { src: img.src, alt: img.alt }),
      h('form', { method: 'dialog' }, h('button', { class: 'primary' }, t('close'))),
    );
    document.body.append(dlg);
    dlg.showModal();
  }

  function actionForm(action) {
    const inputs = [];
    const note = h('textarea', { name: 'note', rows: 2, required: NOTE_REQUIRED.has(action) });
    inputs.push(field(NOTE_REQUIRED.has(action) ? `${t('f.note')} *` : t('f.note'), note));
    let unit;
    let photos;
    let value;
    let span;
    let reason;
    if (action === 'dispatch') {
      unit = h(
        'select',
        { name: 'unitId' },
        ...rd.units.filter((u) => u.assessed).map((u) => h('option', { value: u.id }, unitName(rd, u.id))),
      );
      unit.value = c.proposedUnitId ?? c.unitId ?? '';
      inputs.unshift(field(t('f.unit'), unit));
    }
    if (action === 'feedback') {
      photos = h('input', {
        type: 'file',
        name: 'photos',
        accept: 'image/jpeg,image/png',
        multiple: true,
        required: true,
      });
      inputs.push(field(`${t('f.photos')} *`, photos));
    }
    if (action === 'request_extension') {
      value = h('input', { type: 'number', name: 'value', min: 1, max: 1000, value: 1, required: true });
      span = h(
        'select',
        { name: 'unit' },
        h('option', { value: 'workDays' }, t('span.workDays')),
        h('option', { value: 'workHours' }, t('span.workHours')),
      );
      inputs.push(field(t('f.span'), value), field(t('f.spanUnit'), span));
    }
    if (action === 'reject') {
      reason = h(
        'select',
        { name: 'reason' },
        ...(ctx.meta.rejectReasons ?? []).map((r) => h('option', { value: r }, t(`reject.${r}`))),
      );
      inputs.unshift(field(t('queue.reason'), reason));
    }
    const btn = h(
      'button',
      {
        type: 'submit',
        class: /reject|rework|cancel|return/.test(action) ? 'danger' : 'primary',
        id: `act-${action}`,
      },
      t(`action.${action}`),
    );
    const form = h(
      'form',
      {
        class: 'actform',
        dataset: { action },
        onsubmit: async (ev) => {
          ev.preventDefault();
          btn.disabled = true;
          try {
            const body = {};
            if (note.value.trim()) body.note = note.value.trim();
            if (unit) body.unitId = unit.value;
            if (reason) body.reason = reason.value;
            if (value) Object.assign(body, { value: Number(value.value), unit: span.value });
            if (photos)
              body.attachments = await Promise.all(
                [...photos.files].map(async (f) => (await api.upload(f)).name),
              );
            await api.act(c.id, action, body);
            toast(t('case.done', { action: t(`action.${action}`) }));
            await load();
          } catch (e) {
            toast(`${t('error')}: ${e.message}`, 'err');
            btn.disabled = false;
          }
        },
      },
      h('details', {}, h('summary', {}, t(`action.${action}`)), ...inputs, btn),
    );
    return form;
  }

  const off = onCaseEvent((e) => {
    if (e.id === id && e.updatedAt !== c?.updatedAt && !root.querySelector('details[open]'))
      load().catch(() => {});
  });
  await load();
  return off;
}
