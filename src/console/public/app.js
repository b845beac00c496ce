// The console's shell: who is logged in, the page list for their role, and the router. Page
// state lives in the URL fragment (#/playground?service=...&rule=...&case=2) and names only
// services, rules, example numbers and invocation ids: never request or patient data.
import { ApiError, get, post } from './api.js';
import { field, h, notice, replace } from './dom.js';
import { allowed, currentSession, route, setSession } from './state.js';

const PAGES = [
  { id: 'catalog', title: 'Catalog', role: 'viewer', load: () => import('./pages/catalog.js') },
  { id: 'playground', title: 'Playground', role: 'author', load: () => import('./pages/playground.js') },
  { id: 'quality', title: 'Quality', role: 'viewer', load: () => import('./pages/quality.js') },
  { id: 'replay', title: 'Replay', role: 'author', load: () => import('./pages/replay.js') },
  { id: 'audit', title: 'Audit', role: 'admin', load: () => import('./pages/audit.js') },
];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
let current = null;

async function start() {
  try {
    setSession(await get('/console/session'));
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
    setSession(null);
  }
  render();
}

function render() {
  const session = currentSession();
  if (!session) return showLogin();
  replace(
    who,
    h('span', { class: 'who-name' }, session.name),
    h('span', { class: `badge badge-role` }, session.role),
    h('button', { type: 'button', class: 'link', onclick: logout }, 'Log out'),
  );
  const { page } = route();
  replace(
    nav,
    PAGES.filter((p) => allowed(p.role)).map((p) => h('a', { href: `#/${p.id}`, class: p.id === page ? 'active' : null, 'aria-current': p.id === page ? 'page' : null }, p.title)),
  );
  showPage(page);
}

async function showPage(id) {
  const page = PAGES.find((p) => p.id === id);
  document.title = `${page?.title ?? 'Not found'} · CDS rules console`;
  if (!page) return replace(main, h('h1', {}, 'Not found'), h('p', {}, 'There is no such page. ', h('a', { href: '#/catalog' }, 'Go to the catalog')));
  if (!allowed(page.role)) {
    return replace(main, h('h1', {}, page.title), notice('error', `This page needs the ${page.role} role; you are logged in as ${currentSession().role}.`));
  }
  const token = (current = {});
  replace(main, h('p', { class: 'muted' }, 'Loading…'));
  try {
    const module = await page.load();
    if (current !== token) return;
    // Each showing renders into its own element: a showing overtaken by a newer one (two quick
    // navigations) goes on writing into an element no longer on the page.
    const view = h('div', { class: 'view' });
    replace(main, view);
    await module.render(view, route().params);
  } catch (error) {
    if (current !== token) return;
    if (error instanceof ApiError && error.status === 401) {
      setSession(null);
      return showLogin();
    }
    replace(main, h('h1', {}, page.title), notice('error', error.message));
  }
}

function showLogin(message) {
  replace(nav);
  replace(who);
  document.title = 'Log in · CDS rules console';
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', required: true, spellcheck: 'false' });
  const status = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    {
      class: 'login',
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          setSession(await post('/console/login', { token: input.value }));
          input.value = '';
          await start();
        } catch (error) {
          replace(status, notice('error', error.message));
          input.focus();
        }
      },
    },
    h('h1', {}, 'Log in'),
    h('p', {}, 'Use an admin token configured in CDS_ADMIN_TOKENS. The console keeps only a session cookie for eight hours, never the token.'),
    field('Admin token', input),
    h('button', { type: 'submit', class: 'primary' }, 'Log in'),
    status,
  );
  replace(main, form, message ? notice('error', message) : null);
  input.focus();
}

async function logout() {
  await post('/console/logout').catch(() => undefined);
  setSession(null);
  showLogin();
}

addEventListener('hashchange', () => {
  if (currentSession()) render();
});
start().catch((error) => replace(main, notice('error', String(error.message ?? error))));
