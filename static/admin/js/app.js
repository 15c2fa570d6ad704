// The console shell: loads the signed-in account, draws the navigation for its role and routes
// `#/...` hashes to screen modules (js/screens/<name>.js, each exporting
// `render(main, params, ctx)`).
//
// Hash routing (not the History API) because the static-files component serves /admin/ and
// /admin/<file> only: a reload of /admin/#/campaigns/42 must still find index.html.

import { api, setCsrf, ApiError, signInUrl } from './api.js';
import { t, lang, setLang, setTimeZone } from './i18n.js';
import { h, clear, announce, errorMessage } from './ui.js';

// Who may see what. The server refuses anyway (403); hiding only avoids dead ends.
// Mirrors `Role::allows` in crates/kiosque-domain/src/staff/mod.rs.
const CAN = {
  view: ['administrator', 'editor', 'moderator'],
  edit: ['administrator', 'editor'],
  moderate: ['administrator', 'moderator'],
  publish: ['administrator'],
  administer: ['administrator'],
  any: ['administrator', 'editor', 'moderator'],
};

// Route table: pattern, screen module, the capability needed, the nav entry (if any).
// Order matters only for the nav; patterns do not overlap.
const ROUTES = [
  { path: '/', screen: 'dashboard', need: 'any', nav: () => t('Tableau de bord', 'Dashboard') },
  { path: '/calendar', screen: 'calendar', need: 'view', nav: () => t('Calendrier', 'Calendar') },
  { path: '/compose', screen: 'compose', need: 'edit', nav: () => t('Nouvelle publication', 'New post') },
  { path: '/posts/:id', screen: 'post', need: 'view' },
  { path: '/approvals', screen: 'approvals', need: 'publish', nav: () => t('Validations', 'Approvals') },
  { path: '/channels', screen: 'channels', need: 'administer', nav: () => t('Canaux', 'Channels') },
  { path: '/campaigns', screen: 'campaigns', need: 'any', nav: () => t('Campagnes', 'Campaigns') },
  { path: '/campaigns/:id', screen: 'campaign', need: 'any' },
  { path: '/reports', screen: 'reports', need: 'view', nav: () => t('Rapports', 'Reports') },
  { path: '/reports/:month', screen: 'reports', need: 'view' },
  { path: '/reports/campaigns/:id', screen: 'reports', need: 'view' },
  { path: '/reports/posts/:id', screen: 'reports', need: 'view' },
  { path: '/polls', screen: 'polls', need: 'any', nav: () => t('Sondages', 'Polls') },
  { path: '/polls/:id', screen: 'polls', need: 'any' },
  { path: '/questions', screen: 'questions', need: 'any', nav: () => t('Questions', 'Questions') },
  { path: '/questions/:id', screen: 'questions', need: 'any' },
  { path: '/contests', screen: 'contests', need: 'any', nav: () => t('Concours', 'Contests') },
  { path: '/contests/:id', screen: 'contests', need: 'any' },
  { path: '/showcases', screen: 'showcases', need: 'edit', nav: () => t('Vitrines', 'Showcases') },
  { path: '/showcases/:id', screen: 'showcases', need: 'edit' },
  // Every role sees the library (moderators read-only); uploading and editing need 'edit'.
  { path: '/media', screen: 'media', need: 'view', nav: () => t('Médiathèque', 'Media library') },
  { path: '/events', screen: 'events', need: 'edit', nav: () => t('Événements', 'Events') },
  { path: '/events/:id', screen: 'events', need: 'edit' },
  { path: '/tutorials', screen: 'tutorials', need: 'edit', nav: () => t('Tutoriels', 'Tutorials') },
  { path: '/tutorials/:slug', screen: 'tutorials', need: 'edit' },
  { path: '/accounts', screen: 'accounts', need: 'administer', nav: () => t('Comptes', 'Accounts') },
  { path: '/audit', screen: 'audit', need: 'administer', nav: () => t('Journal', 'Audit log') },
  { path: '/site-pages', screen: 'site-pages', need: 'administer', nav: () => t('Pages du site', 'Site pages') },
  { path: '/account', screen: 'account', need: 'any' },
];

const ROLE_NAMES = {
  administrator: () => t('administrateur·rice', 'administrator'),
  editor: () => t('éditeur·rice', 'editor'),
  moderator: () => t('modérateur·rice', 'moderator'),
};

/** The translated name of a role. */
export function roleName(role) {
  return ROLE_NAMES[role] ? ROLE_NAMES[role]() : role;
}

const ctx = {
  me: null,
  /** Configuration warnings for administrators (`/api/staff/me`), e.g. 'public_base_url_unset'. */
  warnings: [],
  /** Goes to a hash ("#/campaigns/3" or "/campaigns/3"). Same hash → re-render. */
  navigate(hash) {
    const target = hash.startsWith('#') ? hash : `#${hash}`;
    if (location.hash === target) route();
    else location.hash = target;
  },
  /** Whether the signed-in role has a capability: 'view', 'edit', 'moderate', 'publish',
   * 'administer' (the server's permissions) or 'any'. */
  can(need) {
    return Boolean(ctx.me && (CAN[need] || []).includes(ctx.me.role));
  },
  /** Re-renders the current screen (after a change that affects it). */
  refresh() {
    route();
  },
  /** Whether the screen holding this context is still the one shown (each screen gets its own
   * context from `route`; this one answers for none). */
  isCurrent() {
    return false;
  },
  /** Rewrites the address without a re-render (no hashchange), only while the calling screen is
   * still shown: a screen whose request finishes after the user has moved on must not take the
   * address back to itself (the next screen would be drawn under another screen's address). */
  replaceAddress(hash) {
    if (this.isCurrent() && location.hash !== hash) history.replaceState(null, '', hash);
  },
};

/** Matches "/campaigns/42" against "/campaigns/:id" → {id: "42"} (or null). */
function match(pattern, path) {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return null;
  const params = {};
  for (let i = 0; i < want.length; i += 1) {
    if (want[i].startsWith(':')) {
      if (!got[i]) return null;
      params[want[i].slice(1)] = decodeURIComponent(got[i]);
    } else if (want[i] !== got[i]) {
      return null;
    }
  }
  return params;
}

/** Splits the hash into its path and query: "#/compose?date=2025-03-01" → ["/compose", {date}]. */
function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = raw.split('?');
  const clean = path.length > 1 ? path.replace(/\/+$/, '') : '/';
  return [clean || '/', Object.fromEntries(new URLSearchParams(query))];
}

// ---- Shell ---------------------------------------------------------------------------------

function drawHeader() {
  const account = document.getElementById('account-menu');
  if (!account) return;
  clear(account);
  const me = ctx.me;
  const other = lang === 'fr' ? 'en' : 'fr';
  account.append(
    h('span', { class: 'whoami' },
      h('span', { class: 'whoami-name', 'data-testid': 'whoami' }, me.name || me.email),
      ' ',
      h('span', { class: 'whoami-role', 'data-testid': 'whoami-role', 'data-role': me.role }, `(${roleName(me.role)})`)),
    h('a', { href: '#/account', 'data-testid': 'nav-account' }, t('Mon compte', 'My account')),
    // The button is labelled in the language it switches to, with that language declared.
    h('button', {
      type: 'button', class: 'link-button', lang: other, 'data-testid': 'lang-switch',
      onclick: () => {
        setLang(other);
        drawShell();
        route();
        announce(t('Langue : français', 'Language: English'));
      },
    }, other === 'en' ? 'English' : 'Français'),
    h('button', { type: 'button', class: 'link-button', 'data-testid': 'sign-out', onclick: signOut },
      t('Se déconnecter', 'Sign out')),
  );
}

function drawNav() {
  const nav = document.getElementById('nav');
  if (!nav) return;
  nav.setAttribute('aria-label', t('Écrans de la console', 'Console screens'));
  clear(nav);
  const list = h('ul', { class: 'nav-list' });
  for (const r of ROUTES) {
    if (!r.nav || !ctx.can(r.need)) continue;
    const href = `#${r.path}`;
    list.append(h('li', null, h('a', {
      href, 'data-testid': `nav-${r.screen}`, 'data-path': r.path,
    }, r.nav())));
  }
  nav.append(list);
}

function drawShell() {
  document.documentElement.lang = lang;
  const skip = document.getElementById('skip-link');
  if (skip) {
    skip.textContent = t('Aller au contenu', 'Skip to content');
    // "#main" would be taken for a route: move focus by hand instead of following the link.
    if (!skip.dataset.wired) {
      skip.dataset.wired = 'true';
      skip.addEventListener('click', (event) => {
        event.preventDefault();
        const main = document.getElementById('main');
        const h1 = main && main.querySelector('h1');
        (h1 || main).focus();
      });
    }
  }
  const brand = document.getElementById('brand');
  if (brand) brand.textContent = t('Kiosque — console', 'Kiosque — console');
  drawHeader();
  drawNav();
}

/** Marks the current nav link with aria-current (the closest section for detail screens). */
function markCurrent(path) {
  for (const a of document.querySelectorAll('#nav a')) {
    const p = a.dataset.path;
    const current = p === path || (p !== '/' && path.startsWith(`${p}/`));
    if (current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function signOut() {
  try {
    await api('POST', '/api/staff/sign-out');
  } catch (error) {
    // Even if the server failed, leave: the user asked to go.
    console.error(error);
  }
  location.assign('/admin/sign-in.html');
}

// ---- Router --------------------------------------------------------------------------------

let generation = 0;
let firstRender = true;

async function route() {
  const main = document.getElementById('main');
  if (!main || !ctx.me) return;
  // In-page anchors ("#main") are not routes.
  if (location.hash && !location.hash.startsWith('#/')) return;
  const mine = ++generation;
  const [path, query] = parseHash();

  let found = null;
  let params = null;
  for (const r of ROUTES) {
    params = match(r.path, path);
    if (params) { found = r; break; }
  }
  markCurrent(path);

  // Each navigation renders into a fresh container: a slow screen that finishes after the user
  // has moved on writes into a detached node instead of over the new screen.
  const screen = h('div', { class: 'screen' });
  clear(main);
  main.append(screen);
  main.setAttribute('aria-busy', 'true');

  try {
    if (!found) {
      screen.append(h('h1', { tabindex: '-1' }, t('Page introuvable', 'Page not found')),
        h('p', null, h('a', { href: '#/' }, t('Retour au tableau de bord', 'Back to the dashboard'))));
    } else if (!ctx.can(found.need)) {
      screen.append(h('h1', { tabindex: '-1' }, t('Accès réservé', 'Restricted')),
        h('p', { 'data-testid': 'forbidden' }, t('Votre rôle ne donne pas accès à cet écran.',
          'Your role does not give access to this screen.')));
    } else {
      const module = await import(`./screens/${found.screen}.js`);
      if (mine !== generation) return;
      // Query values first, so a route parameter (":id") always wins over "?id=".
      const screenCtx = Object.create(ctx, { isCurrent: { value: () => mine === generation } });
      await module.render(screen, { ...query, ...params }, screenCtx);
    }
  } catch (error) {
    if (mine !== generation) return;
    if (error instanceof ApiError && error.status === 401) return; // already leaving
    console.error(error);
    clear(screen);
    screen.append(
      h('h1', { tabindex: '-1' }, t('Cet écran n’a pas pu s’afficher', 'This screen could not be shown')),
      h('p', { role: 'alert', class: 'error-box' }, errorMessage(error)),
      h('p', null, h('button', { type: 'button', class: 'secondary', onclick: () => route() },
        t('Réessayer', 'Try again')), ' ',
      h('a', { href: '#/' }, t('Tableau de bord', 'Dashboard'))),
    );
  } finally {
    if (mine === generation) main.removeAttribute('aria-busy');
  }
  if (mine !== generation) return;

  const h1 = screen.querySelector('h1');
  document.title = `${h1 ? h1.textContent : 'Kiosque'} — ${t('Kiosque console', 'Kiosque console')}`;
  // Focus the heading so keyboard and screen reader users start at the new screen, except on
  // the very first load, where the skip link must stay the first stop.
  if (h1) {
    if (!h1.hasAttribute('tabindex')) h1.setAttribute('tabindex', '-1');
    if (!firstRender) h1.focus();
  }
  firstRender = false;
}

async function start() {
  try {
    const me = await api('GET', '/api/staff/me');
    setCsrf(me.csrf_token);
    setTimeZone(me.library_time_zone, me.library_time_zone_label);
    ctx.me = me.account;
    ctx.warnings = me.warnings || [];
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return; // api() is redirecting
    const main = document.getElementById('main');
    clear(main);
    main.append(h('h1', { tabindex: '-1' }, t('La console ne répond pas', 'The console does not answer')),
      h('p', { role: 'alert', class: 'error-box' }, errorMessage(error)),
      h('p', null, h('a', { href: signInUrl() }, t('Se connecter', 'Sign in'))));
    return;
  }
  // An account's language is the default until the switch is used on this browser.
  let stored = null;
  try { stored = localStorage.getItem('kiosque.lang'); } catch { /* ignore */ }
  if (!stored && (ctx.me.language === 'en' || ctx.me.language === 'fr')) setLang(ctx.me.language);
  document.body.dataset.role = ctx.me.role;
  drawShell();
  window.addEventListener('hashchange', route);
  await route();
}

start();
