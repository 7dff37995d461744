/**
 * @module console/main
 * The shell: sign-in with a bearer token, the role-aware menu, the hash router, language switch
 * and global shortcuts (g q / g c / g m / g d / g s to move between pages, ? for help).
 */
import { api, setToken, token } from './api.js';
import { clear, h, toast, typing } from './dom.js';
import { getLang, setLang, t } from './i18n.js';
import { onLiveStatus, startLive, stopLive } from './live.js';
import { makeCtx } from './roles.js';

const PAGES = {
  queue: () => import('./views/queue.js'),
  cases: () => import('./views/cases.js'),
  case: () => import('./views/case.js'),
  map: () => import('./views/map.js'),
  devices: () => import('./views/devices.js'),
  scores: () => import('./views/scores.js'),
};
const GOTO_KEYS = { q: 'queue', c: 'cases', m: 'map', d: 'devices', s: 'scores' };

let ctx = null;
let unmount = null;
const main = document.getElementById('main');

async function signIn(tok) {
  setToken(tok);
  try {
    const [me, meta] = await Promise.all([api.me(), api.meta()]);
    ctx = makeCtx(me, meta);
  } catch (e) {
    setToken('');
    ctx = null;
    throw e;
  }
  startLive();
  renderChrome();
  if (!ctx.pages.length) {
    renderNoAccess();
    return;
  }
  const want = location.hash.slice(2).split('/')[0];
  if (!ctx.pages.includes(want) && want !== 'case') location.hash = `#/${ctx.pages[0]}`;
  else route();
}

function signOut() {
  setToken('');
  ctx = null;
  stopLive();
  renderChrome();
  renderSignIn();
}

function renderSignIn(err) {
  unmount?.();
  unmount = null;
  const input = h('input', {
    type: 'password',
    id: 'token',
    autocomplete: 'off',
    required: true,
    'aria-describedby': 'token-hint',
  });
  const form = h(
    'form',
    {
      class: 'signin card',
      onsubmit: async (ev) => {
        ev.preventDefault();
        try {
          await signIn(input.value.trim());
        } catch (e) {
          renderSignIn(e.status === 401 ? t('signin.bad') : e.message);
        }
      },
    },
    h('h1', {}, t('signin.title')),
    h('label', { for: 'token' }, t('signin.token')),
    input,
    h('p', { id: 'token-hint', class: 'muted' }, t('signin.hint')),
    err ? h('p', { class: 'error', role: 'alert' }, err) : null,
    h('button', { type: 'submit', class: 'primary' }, t('signin.submit')),
  );
  clear(main).append(form);
  input.focus();
}

function renderNoAccess() {
  clear(main).append(
    h('div', { class: 'card' }, h('h1', {}, t('noaccess.title')), h('p', {}, t('noaccess.body'))),
  );
}

function renderChrome() {
  document.title = t('app.title');
  document.querySelector('.brand').textContent = t('app.title');
  const nav = clear(document.getElementById('nav'));
  const who = document.getElementById('who');
  const out = document.getElementById('signout');
  document.getElementById('lang').textContent = getLang() === 'en' ? '中文' : 'English';
  out.textContent = t('signout');
  out.hidden = !ctx;
  who.textContent = ctx ? `${ctx.me.name} · ${ctx.roleLabel}` : '';
  if (!ctx) return;
  for (const p of ctx.pages) {
    nav.append(h('a', { href: `#/${p}`, 'data-page': p }, t(`nav.${p}`)));
  }
  markNav();
}

function markNav() {
  const cur = location.hash.slice(2).split('/')[0];
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.page === cur || (cur === 'case' && a.dataset.page === 'cases'))
      a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function route() {
  if (!ctx) return renderSignIn();
  const [page, ...rest] = location.hash.slice(2).split('/');
  if (!PAGES[page] || (page !== 'case' && !ctx.pages.includes(page))) {
    location.hash = `#/${ctx.pages[0]}`;
    return;
  }
  markNav();
  unmount?.();
  unmount = null;
  clear(main).append(h('p', { class: 'muted' }, t('loading')));
  try {
    const mod = await PAGES[page]();
    clear(main);
    unmount = (await mod.mount(main, ctx, rest.map(decodeURIComponent))) ?? null;
  } catch (e) {
    clear(main).append(h('p', { class: 'error', role: 'alert' }, `${t('error')}: ${e.message}`));
  }
}

let pendingG = false;
document.addEventListener('keydown', (ev) => {
  if (!ctx || typing(ev) || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (pendingG) {
    pendingG = false;
    const p = GOTO_KEYS[ev.key];
    if (p && ctx.pages.includes(p)) {
      location.hash = `#/${p}`;
      ev.preventDefault();
    }
    return;
  }
  if (ev.key === 'g') pendingG = true;
  else if (ev.key === '?') toast(t('help.keys'), 'info');
});

document.getElementById('lang').addEventListener('click', () => {
  setLang(getLang() === 'en' ? 'zh-CN' : 'en');
  renderChrome();
  if (ctx) {
    ctx.relabel();
    route();
  } else renderSignIn();
});
document.getElementById('signout').addEventListener('click', signOut);
window.addEventListener('hashchange', route);
onLiveStatus((m) => {
  document.getElementById('live').textContent = m === 'off' ? '' : t(`live.${m}`);
  document.getElementById('live').className = `live ${m}`;
});

if (token()) signIn(token()).catch(() => renderSignIn());
else {
  renderChrome();
  renderSignIn();
}
