// My account: who I am, change my password, my personal API tokens (the secret is shown once),
// and signing out everywhere.
//
// Endpoints: POST /api/staff/me/password {current_password,new_password}; GET/POST
// /api/staff/tokens {name,scopes[]} → {token, secret}; DELETE /api/staff/tokens/:id;
// POST /api/staff/sign-out-everywhere.

import { api } from '../api.js';
import { t, formatDateTime } from '../i18n.js';
import {
  h, clear, field, pageHeader, announce, showErrors, clearErrors, busy, setFieldError, confirmDialog, empty,
} from '../ui.js';
import { roleName } from '../app.js';

const MIN_PASSWORD = 12;

// What each scope allows, and who may give it (a token never exceeds its owner's role).
const SCOPES = [
  ['edit', ['administrator', 'editor'], () => t('Rédiger (publications, contenus)', 'Edit (posts, content)')],
  ['moderate', ['administrator', 'moderator'], () => t('Modérer les files', 'Moderate queues')],
  ['publish', ['administrator'], () => t('Valider et publier', 'Approve and publish')],
  ['administer', ['administrator'], () => t('Administrer (canaux, comptes, journal)', 'Administer (channels, accounts, log)')],
];

export async function render(main, params, ctx) {
  const me = ctx.me;
  const tokensBox = h('div', { class: 'table-scroll' });
  const secretBox = h('div', { 'aria-live': 'polite' });

  clear(main);
  main.append(
    pageHeader(t('Mon compte', 'My account')),
    h('dl', { class: 'facts' },
      h('dt', null, t('Nom', 'Name')), h('dd', null, me.name),
      h('dt', null, t('Adresse', 'Email')), h('dd', null, me.email),
      h('dt', null, t('Rôle', 'Role')), h('dd', null, roleName(me.role))),

    h('section', { 'aria-labelledby': 'password-title' },
      h('h2', { id: 'password-title' }, t('Changer mon mot de passe', 'Change my password')),
      passwordForm()),

    h('section', { 'aria-labelledby': 'tokens-title' },
      h('h2', { id: 'tokens-title' }, t('Jetons d’API personnels', 'Personal API tokens')),
      h('p', { class: 'hint' }, t('Pour les outils d’automatisation : en-tête « Authorization: Bearer kq_… ». Un jeton ne peut pas plus que votre rôle.',
        'For automation tools: header “Authorization: Bearer kq_…”. A token can do no more than your role.')),
      secretBox, tokensBox, tokenForm()),

    h('section', { 'aria-labelledby': 'sessions-title' },
      h('h2', { id: 'sessions-title' }, t('Sessions', 'Sessions')),
      h('p', null, t('Fermez toutes vos sessions ouvertes, sur tous les appareils (y compris celle-ci).',
        'End all your open sessions, on every device (this one included).')),
      signOutEverywhereButton()),
  );
  await loadTokens();

  function passwordForm() {
    const current = h('input', { type: 'password', name: 'current_password', required: true, autocomplete: 'current-password',
      'data-testid': 'password-current' });
    const next = h('input', { type: 'password', name: 'new_password', required: true, minlength: MIN_PASSWORD, autocomplete: 'new-password',
      'data-testid': 'password-new' });
    const again = h('input', { type: 'password', name: 'confirm', required: true, autocomplete: 'new-password', 'data-testid': 'password-confirm' });
    const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'password-submit' }, t('Changer le mot de passe', 'Change the password'));
    const form = h('form', { class: 'form', novalidate: true },
      field(t('Mot de passe actuel', 'Current password'), current),
      field(t('Nouveau mot de passe', 'New password'), next, null,
        { hint: t(`${MIN_PASSWORD} caractères au moins. Une phrase de plusieurs mots est plus sûre et plus facile à retenir.`,
          `At least ${MIN_PASSWORD} characters. A phrase of several words is safer and easier to remember.`) }),
      field(t('Nouveau mot de passe, encore', 'New password, again'), again),
      h('div', { class: 'actions' }, submit));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(form);
      let first = null;
      const flag = (input, message) => { setFieldError(input, message); first = first || input; };
      if (!current.value) flag(current, t('Indiquez votre mot de passe actuel.', 'Give your current password.'));
      if (next.value.length < MIN_PASSWORD) flag(next, t(`${MIN_PASSWORD} caractères au moins.`, `At least ${MIN_PASSWORD} characters.`));
      else if (again.value !== next.value) flag(again, t('Les deux saisies diffèrent.', 'The two entries differ.'));
      if (first) { first.focus(); return; }
      await busy(submit, async () => {
        try {
          await api('POST', '/api/staff/me/password', { current_password: current.value, new_password: next.value });
          form.reset();
          announce(t('Mot de passe changé.', 'Password changed.'));
        } catch (error) {
          showErrors(form, error);
        }
      });
    });
    return form;
  }

  async function loadTokens() {
    const data = await api('GET', '/api/staff/tokens');
    const tokens = data.tokens || [];
    clear(tokensBox);
    if (!tokens.length) {
      tokensBox.append(empty(t('Aucun jeton.', 'No token.')));
      return;
    }
    tokensBox.append(h('table', { 'data-testid': 'tokens-table' },
      h('caption', { class: 'visually-hidden' }, t('Mes jetons', 'My tokens')),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, t('Nom', 'Name')),
        h('th', { scope: 'col' }, t('Portées', 'Scopes')),
        h('th', { scope: 'col' }, t('Créé', 'Created')),
        h('th', { scope: 'col' }, t('Dernière utilisation', 'Last used')),
        h('th', { scope: 'col' }, t('Actions', 'Actions')))),
      h('tbody', null, tokens.map((token) => {
        const nameId = `token-${token.id}`;
        const revoke = h('button', { type: 'button', class: 'danger small', 'data-testid': 'token-revoke', 'data-token-id': token.id,
          'aria-describedby': nameId }, t('Révoquer', 'Revoke'));
        revoke.addEventListener('click', async () => {
          const ok = await confirmDialog(t(`Révoquer le jeton « ${token.name} » ? Les outils qui l’utilisent cesseront de fonctionner.`,
            `Revoke the token “${token.name}”? Tools using it will stop working.`), { confirmLabel: t('Révoquer', 'Revoke'), danger: true });
          if (!ok) return;
          await busy(revoke, async () => {
            await api('DELETE', `/api/staff/tokens/${encodeURIComponent(token.id)}`);
            announce(t(`Jeton « ${token.name} » révoqué.`, `Token “${token.name}” revoked.`));
            await loadTokens();
            const heading = main.querySelector('#tokens-title');
            if (heading) { heading.setAttribute('tabindex', '-1'); heading.focus(); }
          });
        });
        return h('tr', { 'data-testid': 'token-row', 'data-token-id': token.id },
          h('th', { scope: 'row', id: nameId }, token.name),
          h('td', null, (token.scopes || []).join(', ')),
          h('td', null, formatDateTime(token.created_at)),
          h('td', null, token.last_used_at ? formatDateTime(token.last_used_at) : t('jamais', 'never')),
          h('td', null, revoke));
      }))));
  }

  function tokenForm() {
    const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 100, autocomplete: 'off', 'data-testid': 'token-name' });
    const boxes = SCOPES.filter(([, roles]) => roles.includes(me.role)).map(([scope, , label]) => ({
      scope, label, input: h('input', { type: 'checkbox', name: 'scopes', value: scope, 'data-testid': `token-scope-${scope}` }),
    }));
    const scopes = h('fieldset', { 'data-field': 'scopes', tabindex: '-1', id: 'token-scopes' },
      h('legend', null, t('Portées', 'Scopes')),
      h('p', { class: 'hint' }, t('La lecture est toujours permise ; cochez ce que le jeton peut changer.', 'Reading is always allowed; tick what the token may change.')),
      boxes.map((b) => field(b.label(), b.input)));
    const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'token-submit' }, t('Créer le jeton', 'Create the token'));
    const form = h('form', { class: 'form', novalidate: true, 'data-testid': 'token-form' },
      h('h3', null, t('Nouveau jeton', 'New token')),
      field(t('Nom du jeton (à quoi il sert)', 'Token name (what it is for)'), name), scopes,
      h('div', { class: 'actions' }, submit));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(form);
      if (!name.value.trim()) {
        setFieldError(name, t('Le nom est obligatoire.', 'The name is required.'));
        name.focus();
        return;
      }
      await busy(submit, async () => {
        try {
          const created = await api('POST', '/api/staff/tokens', {
            name: name.value.trim(),
            scopes: boxes.filter((b) => b.input.checked).map((b) => b.scope),
          });
          form.reset();
          showSecret(created);
          await loadTokens();
        } catch (error) {
          showErrors(form, error);
        }
      });
    });
    return form;
  }

  /** Shows a new token's secret, once, with a copy button, and moves focus to it. */
  function showSecret(created) {
    const code = h('code', { class: 'secret', 'data-testid': 'token-secret', tabindex: '0' }, created.secret);
    const copy = h('button', { type: 'button', class: 'secondary small', 'data-testid': 'token-copy' }, t('Copier', 'Copy'));
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(created.secret);
        announce(t('Jeton copié.', 'Token copied.'));
      } catch {
        // No clipboard permission (or an older Safari): select the text for Ctrl/Cmd+C.
        const range = document.createRange();
        range.selectNodeContents(code);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        announce(t('Jeton sélectionné : copiez-le avec Ctrl+C ou Cmd+C.', 'Token selected: copy it with Ctrl+C or Cmd+C.'));
      }
    });
    const title = h('h3', { tabindex: '-1' }, t(`Jeton « ${(created.token && created.token.name) || ''} » créé`, `Token “${(created.token && created.token.name) || ''}” created`));
    clear(secretBox).append(h('div', { class: 'success-box' }, title,
      h('p', null, t('Copiez-le maintenant : il ne sera plus jamais affiché.', 'Copy it now: it will never be shown again.')),
      code, h('div', { class: 'actions' }, copy)));
    title.focus();
  }

  function signOutEverywhereButton() {
    const b = h('button', { type: 'button', class: 'danger', 'data-testid': 'sign-out-everywhere' }, t('Se déconnecter partout', 'Sign out everywhere'));
    b.addEventListener('click', async () => {
      const ok = await confirmDialog(t('Fermer toutes vos sessions, y compris celle-ci ?', 'End all your sessions, this one included?'),
        { confirmLabel: t('Se déconnecter partout', 'Sign out everywhere'), danger: true });
      if (!ok) return;
      await busy(b, async () => {
        await api('POST', '/api/staff/sign-out-everywhere');
        location.assign('/admin/sign-in.html');
      });
    });
    return b;
  }
}
