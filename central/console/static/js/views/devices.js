/**
 * @module console/views/devices
 * Gateways and their cameras, GPS and CAN units: online/offline, last seen, uptime this month
 * (from the recorded online/offline changes); a fresh snapshot from a camera or a call to a
 * vehicle on demand (central sends the NATS command and relays the reply).
 */
import { api, imageUrl } from '../api.js';
import { clear, h, toast } from '../dom.js';
import { fmtAgo, fmtDateTime, fmtNum, fmtPct, t } from '../i18n.js';

/** Share of this month (so far) a device was online, from its change log. */
export function uptimeThisMonth(changes, onlineNow, now = new Date()) {
  const start = new Date(now.getFullYear(), now.getMonth(), 1).getTime();
  const end = now.getTime();
  const log = [...(changes ?? [])]
    .map((c) => ({ at: Date.parse(c.at), online: c.online }))
    .sort((a, b) => a.at - b.at);
  if (!log.length) return onlineNow ? undefined : 0;
  let state = false;
  for (const c of log) if (c.at <= start) state = c.online;
  let t0 = start;
  let up = 0;
  for (const c of log) {
    if (c.at <= start) continue;
    if (c.at > end) break;
    if (state) up += c.at - t0;
    t0 = c.at;
    state = c.online;
  }
  if (state) up += end - t0;
  // time before the first record this month is unknown, not offline
  const known = end - Math.max(start, Math.min(log[0].at, end));
  return known > 0 ? up / known : undefined;
}

export async function mount(root, ctx) {
  const body = h('div');
  const out = h('div', { class: 'cmdout', 'aria-live': 'polite', id: 'cmd-out' });
  root.append(
    h(
      'div',
      { class: 'pagehead' },
      h('h1', {}, t('nav.devices')),
      h('button', { type: 'button', onclick: () => load() }, t('refresh')),
    ),
    out,
    body,
  );
  const canCommand = ctx.seesAll;

  async function command(g, verb, deviceId) {
    clear(out).append(h('p', { class: 'muted' }, t('dev.calling', { id: deviceId ?? g.gatewayId })));
    try {
      const r = await api.command(g.gatewayId, verb, deviceId);
      const reply = r.reply ?? r;
      if (!reply.ok) throw new Error(reply.error ?? 'no answer');
      clear(out).append(
        h('h2', {}, t(`dev.${verb}`), ' · ', deviceId ?? g.gatewayId, ' · ', fmtDateTime(reply.answeredAt)),
      );
      // a camera answers with the annotated frame inline (edge/camera/unit.ts) or as evidence
      const inline = reply.data?.image?.base64;
      const name = reply.data?.evidence?.name;
      if (inline || name) {
        const img = h('img', { class: 'evidence', alt: `${t('dev.snapshot')} ${deviceId}` });
        out.append(img);
        img.src = inline
          ? `data:${reply.data.image.contentType ?? 'image/jpeg'};base64,${inline}`
          : await imageUrl(name);
        const dets = reply.data?.detections ?? [];
        out.append(
          h('p', { class: 'muted' }, dets.map((d) => `${d.label} ${fmtPct(d.score)}`).join(' · ') || '—'),
        );
      } else out.append(h('pre', {}, JSON.stringify(reply.data ?? {}, null, 2)));
    } catch (e) {
      clear(out).append(h('p', { class: 'error', role: 'alert' }, `${t('dev.noanswer')}: ${e.message}`));
      toast(`${t('dev.noanswer')}: ${e.message}`, 'err');
    }
  }

  const onl = (on) =>
    h('span', { class: `tag ${on ? 'good' : 'bad'}` }, on ? t('dev.online') : t('dev.offline'));

  async function load() {
    const r = await api.devices();
    const gateways = r.gateways ?? [];
    const vehicles = r.vehicles ?? [];
    const rows = [];
    for (const g of gateways) {
      rows.push(
        h(
          'tr',
          { class: 'gw' },
          h('th', { scope: 'row' }, g.gatewayId),
          h('td', {}, t(`dev.kind.${g.gatewayKind}`)),
          h('td', {}, onl(g.online)),
          h(
            'td',
            {},
            h(
              'time',
              { datetime: g.lastReceivedAt, title: fmtDateTime(g.lastReceivedAt) },
              fmtAgo(g.lastReceivedAt),
            ),
          ),
          h('td', {}, '—'),
          h('td', {}, `${g.softwareVersion ?? ''} · ${t('dev.outbox')} ${fmtNum(g.outbox?.depth ?? 0)}`),
          h(
            'td',
            {},
            // a vehicle unit answers `where` (position, speed, signals); a checkpoint `ping`
            canCommand
              ? g.gatewayKind === 'vehicle'
                ? h(
                    'button',
                    { type: 'button', dataset: { call: g.gatewayId }, onclick: () => command(g, 'where') },
                    t('dev.where'),
                  )
                : h('button', { type: 'button', onclick: () => command(g, 'ping') }, t('dev.ping'))
              : null,
          ),
        ),
      );
      for (const d of Object.values(g.devices ?? {})) {
        const online = g.online && d.online;
        const up = uptimeThisMonth(d.changes, online);
        let btn = null;
        if (canCommand && d.type === 'camera')
          btn = h(
            'button',
            {
              type: 'button',
              class: 'primary',
              dataset: { snapshot: d.id },
              onclick: () => command(g, 'snapshot', d.id),
            },
            t('dev.snapshot'),
          );
        rows.push(
          h(
            'tr',
            {},
            h('td', { class: 'indent' }, d.id),
            h('td', {}, t(`dev.type.${d.type}`)),
            h('td', {}, onl(online)),
            h(
              'td',
              {},
              d.lastSeenAt
                ? h(
                    'time',
                    { datetime: d.lastSeenAt, title: fmtDateTime(d.lastSeenAt) },
                    fmtAgo(d.lastSeenAt),
                  )
                : '—',
            ),
            h('td', {}, up === undefined ? '—' : fmtPct(up)),
            h('td', { class: 'muted' }, d.error ?? ''),
            h('td', {}, btn),
          ),
        );
      }
    }
    clear(body).append(
      h(
        'table',
        { class: 'grid', id: 'devices' },
        h('caption', {}, t('dev.gateways')),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['dev.id', 'dev.type', 'dev.state', 'dev.lastSeen', 'dev.uptime', 'dev.info', ''].map((k) =>
              h('th', { scope: 'col' }, k ? t(k) : ''),
            ),
          ),
        ),
        h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 7 }, t('dev.none')))),
      ),
      h(
        'table',
        { class: 'grid' },
        h('caption', {}, t('dev.vehicles')),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['dev.vehicle', 'dev.gateway', 'dev.lastSeen', 'dev.speed', ''].map((k) =>
              h('th', { scope: 'col' }, k ? t(k) : ''),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          vehicles.map((v) =>
            h(
              'tr',
              {},
              h('th', { scope: 'row' }, v.vehicleId),
              h('td', {}, v.gatewayId),
              h('td', {}, fmtAgo(v.lastAt)),
              h(
                'td',
                {},
                v.lastPoint?.speedMps !== undefined ? `${fmtNum(v.lastPoint.speedMps * 3.6, 1)} km/h` : '—',
              ),
              h('td', {}, h('a', { href: `#/map/${encodeURIComponent(v.vehicleId)}` }, t('dev.track'))),
            ),
          ),
        ),
      ),
    );
  }
  await load();
  const timer = setInterval(() => load().catch(() => {}), 15_000);
  return () => clearInterval(timer);
}
