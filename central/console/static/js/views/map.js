/**
 * @module console/views/map
 * The city drawn from its GeoJSON grids as SVG (Web Mercator, no tile server needed): grids
 * coloured by open cases, case markers, vehicles' live positions, and a vehicle's track played
 * back with its violations marked. A tile URL template (`{z}/{x}/{y}`) can be set in the page to
 * draw a base map under the grids when one is reachable.
 */
import { api, items } from '../api.js';
import { clear, h, svg, toast } from '../dom.js';
import { fmtDateTime, fmtNum, t } from '../i18n.js';
import { onCaseEvent } from '../live.js';
import { catName, refdata } from '../refdata.js';

const TILE = 256;
const WIDTH = 1000;

function project(lon, lat, z) {
  const s = TILE * 2 ** z;
  const r = (lat * Math.PI) / 180;
  return [((lon + 180) / 360) * s, ((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * s];
}

const SHADES = [
  [0, '#e8f1e4'],
  [1, '#fbe7a1'],
  [3, '#f5b461'],
  [6, '#d9534f'],
];
function shade(n) {
  let c = SHADES[0][1];
  for (const [min, col] of SHADES) if (n >= min) c = col;
  return c;
}

export async function mount(root, ctx, [vehicleId]) {
  const rd = await refdata();
  const feats = rd.grids;
  if (!feats.length) {
    root.append(h('p', { class: 'error' }, t('map.nogrids')));
    return;
  }
  let minLon = Infinity;
  let minLat = Infinity;
  let maxLon = -Infinity;
  let maxLat = -Infinity;
  for (const f of feats)
    for (const [lon, lat] of f.geometry.coordinates[0]) {
      minLon = Math.min(minLon, lon);
      maxLon = Math.max(maxLon, lon);
      minLat = Math.min(minLat, lat);
      maxLat = Math.max(maxLat, lat);
    }
  // zoom so the city is about WIDTH world pixels wide
  const z = Math.max(0, Math.min(18, Math.floor(Math.log2((WIDTH / TILE) * (360 / (maxLon - minLon))))));
  const [x0, y0] = project(minLon, maxLat, z);
  const [x1, y1] = project(maxLon, minLat, z);
  const P = (lon, lat) => project(lon, lat, z).map((v, i) => (i ? v - y0 : v - x0));

  const tileInput = h('input', {
    id: 'tile-url',
    value: localStorage.getItem('cg.tileUrl') ?? '',
    placeholder: 'http://tiles.local/{z}/{x}/{y}.png',
    size: 36,
  });
  const legend = h(
    'div',
    { class: 'legend', 'aria-label': t('map.legend') },
    ...SHADES.map(([min, col], i) =>
      h(
        'span',
        {},
        h('i', { style: `background:${col}` }),
        i === SHADES.length - 1
          ? `≥${min}`
          : SHADES[i + 1][0] - 1 > min
            ? `${min}–${SHADES[i + 1][0] - 1}`
            : `${min}`,
      ),
    ),
    h('span', {}, h('i', { class: 'dot case' }), t('map.case')),
    h('span', {}, h('i', { class: 'dot veh' }), t('map.vehicle')),
    h('span', {}, h('i', { class: 'dot viol' }), t('map.violation')),
  );
  const map = svg('svg', {
    viewBox: `0 0 ${x1 - x0} ${y1 - y0}`,
    class: 'map',
    role: 'img',
    'aria-label': t('nav.map'),
  });
  const info = h('div', { class: 'mapinfo', 'aria-live': 'polite' });
  const playback = h('div', { class: 'playback' });
  root.append(
    h(
      'div',
      { class: 'pagehead' },
      h('h1', {}, t('nav.map')),
      h('label', { for: 'tile-url' }, t('map.tiles')),
      tileInput,
      h(
        'button',
        {
          type: 'button',
          onclick: () => {
            localStorage.setItem('cg.tileUrl', tileInput.value.trim());
            draw();
          },
        },
        t('apply'),
      ),
    ),
    legend,
    h('div', { class: 'mapwrap' }, map, info),
    playback,
  );

  let cases = [];
  let vehicles = [];
  const layers = { tiles: svg('g'), grids: svg('g'), cases: svg('g'), track: svg('g'), vehicles: svg('g') };

  function drawTiles() {
    clear(layers.tiles);
    const tpl = localStorage.getItem('cg.tileUrl');
    if (!tpl) return;
    for (let tx = Math.floor(x0 / TILE); tx <= Math.floor(x1 / TILE); tx++)
      for (let ty = Math.floor(y0 / TILE); ty <= Math.floor(y1 / TILE); ty++)
        layers.tiles.append(
          svg('image', {
            href: tpl.replace('{z}', z).replace('{x}', tx).replace('{y}', ty),
            x: tx * TILE - x0,
            y: ty * TILE - y0,
            width: TILE,
            height: TILE,
          }),
        );
  }

  function draw() {
    drawTiles();
    const open = cases.filter((c) => ctx.isOpen(c.state));
    const perGrid = new Map();
    for (const c of open)
      if (c.location?.gridCode) perGrid.set(c.location.gridCode, (perGrid.get(c.location.gridCode) ?? 0) + 1);
    clear(layers.grids);
    for (const f of feats) {
      const n = perGrid.get(f.properties.code) ?? 0;
      const d = `M${f.geometry.coordinates[0]
        .map(([lon, lat]) =>
          P(lon, lat)
            .map((v) => v.toFixed(1))
            .join(','),
        )
        .join('L')}Z`;
      const path = svg(
        'path',
        { d, fill: shade(n), class: 'gridcell', tabindex: 0, dataset: { code: f.properties.code, open: n } },
        svg('title', {}, `${f.properties.name} · ${t('map.open')} ${n}`),
      );
      path.addEventListener('click', () => showGrid(f, n));
      path.addEventListener('keydown', (e) => e.key === 'Enter' && showGrid(f, n));
      layers.grids.append(path);
    }
    clear(layers.cases);
    for (const c of open) {
      if (c.location?.lat === undefined) continue;
      const [x, y] = P(c.location.lon, c.location.lat);
      const a = svg(
        'a',
        { href: `#/case/${encodeURIComponent(c.id)}` },
        svg(
          'circle',
          { cx: x, cy: y, r: 5, class: `marker case${c.overdue ? ' overdue' : ''}` },
          svg('title', {}, `${catName(rd, c.category)} · ${ctx.stateLabel(c.state)}`),
        ),
      );
      layers.cases.append(a);
    }
    clear(layers.vehicles);
    for (const v of vehicles) {
      const p = v.lastPoint;
      if (!p) continue;
      const [x, y] = P(p.lon, p.lat);
      layers.vehicles.append(
        svg(
          'a',
          { href: `#/map/${encodeURIComponent(v.vehicleId)}` },
          svg(
            'rect',
            { x: x - 5, y: y - 5, width: 10, height: 10, class: 'marker veh' },
            svg('title', {}, `${v.vehicleId} · ${fmtDateTime(p.t)}`),
          ),
          svg('text', { x: x + 8, y: y + 4, class: 'vlabel' }, v.vehicleId),
        ),
      );
    }
  }

  function showGrid(f, n) {
    clear(info).append(
      h('h2', {}, f.properties.name),
      h('p', {}, `${f.properties.code} · ${t('map.open')} ${fmtNum(n)}`),
      h(
        'a',
        {
          href: '#/cases',
          onclick: () => sessionStorage.setItem('cg.caseFilter', JSON.stringify({ view: 'list' })),
        },
        t('nav.cases'),
      ),
    );
  }

  async function showTrack(id) {
    let tr;
    try {
      tr = await api.track(id);
    } catch (e) {
      toast(`${t('error')}: ${e.message}`, 'err');
      return;
    }
    const pts = tr.points ?? [];
    if (!pts.length) return;
    const violations = cases.filter(
      (c) => c.source === 'vehicle' && c.refs?.deviceId === id && c.location?.lat !== undefined,
    );
    clear(layers.track);
    layers.track.append(
      svg('polyline', { points: pts.map((p) => P(p.lon, p.lat).join(',')).join(' '), class: 'track' }),
    );
    for (const c of violations) {
      const [x, y] = P(c.location.lon, c.location.lat);
      layers.track.append(
        svg(
          'a',
          { href: `#/case/${encodeURIComponent(c.id)}` },
          svg(
            'circle',
            { cx: x, cy: y, r: 7, class: 'marker viol' },
            svg('title', {}, catName(rd, c.category)),
          ),
        ),
      );
    }
    const cursor = svg('circle', { r: 6, class: 'marker cursor' });
    layers.track.append(cursor);
    const slider = h('input', {
      type: 'range',
      min: 0,
      max: pts.length - 1,
      value: pts.length - 1,
      id: 'track-pos',
      'aria-label': t('map.position'),
    });
    const label = h('output', { for: 'track-pos' });
    const set = (i) => {
      const p = pts[i];
      const [x, y] = P(p.lon, p.lat);
      cursor.setAttribute('cx', x);
      cursor.setAttribute('cy', y);
      const sig = p.signals
        ? Object.entries(p.signals)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')
        : '';
      label.textContent = `${fmtDateTime(p.t)} · ${p.speedMps !== undefined ? `${fmtNum(p.speedMps * 3.6, 1)} km/h` : ''} ${sig}`;
    };
    slider.addEventListener('input', () => set(Number(slider.value)));
    let timer;
    const play = h(
      'button',
      {
        type: 'button',
        id: 'track-play',
        onclick: () => {
          if (timer) {
            clearInterval(timer);
            timer = undefined;
            play.textContent = t('map.play');
            return;
          }
          if (Number(slider.value) >= pts.length - 1) slider.value = '0';
          play.textContent = t('map.pause');
          timer = setInterval(() => {
            const i = Number(slider.value) + 1;
            if (i >= pts.length) {
              clearInterval(timer);
              timer = undefined;
              play.textContent = t('map.play');
              return;
            }
            slider.value = String(i);
            set(i);
          }, 100);
        },
      },
      t('map.play'),
    );
    clear(playback).append(
      h('h2', {}, `${t('map.track')} ${id}`),
      play,
      slider,
      label,
      h('p', { class: 'muted' }, t('map.violations', { n: violations.length })),
    );
    set(pts.length - 1);
  }

  map.append(layers.tiles, layers.grids, layers.cases, layers.track, layers.vehicles);
  async function load() {
    const [cs, dv] = await Promise.all([
      api.cases({ limit: 500 }),
      ctx.seesAll ? api.devices().catch(() => ({})) : Promise.resolve({}),
    ]);
    cases = items(cs);
    vehicles = dv.vehicles ?? [];
    draw();
  }
  await load();
  if (vehicleId) await showTrack(vehicleId);
  let pending;
  const off = onCaseEvent(() => {
    clearTimeout(pending);
    pending = setTimeout(() => load().catch(() => {}), 500);
  });
  const timer = setInterval(() => load().catch(() => {}), 15_000);
  return () => {
    off();
    clearInterval(timer);
    clearTimeout(pending);
  };
}
