// Staff accounts (administrators): list, create, change role, disable/enable, reset password.
//
// Endpoints: GET /api/staff/accounts; POST /api/staff/accounts {email,name,role,password};
// PUT /api/staff/accounts/:id {name?, role?, disabled?}; POST /api/staff/accounts/:id/password
// {new_password} (ends that account's sessions).

import { api } from '../api.js';
import { t, formatDate } from '../i18n.js';
import {
  h, clear, field, pageHeader, announce, showErrors, clearErrors, busy, setFieldError, openDialog,
  confirmDialog, errorMessage, badge,
} from '../ui.js';
import { roleName } from '../app.js';

const ROLES = ['administrator', 'editor', 'moderator'];
const MIN_PASSWORD = 12;

function roleSelect(value, attrs = {}) {
  return h('select', { name: 'role', ...attrs }, ROLES.map((role) => h('option', { value: role, selected: role === value }, roleName(role))));
}

export async function render(main, params, ctx) {
  const tableBox = h('div', { class: 'table-scroll' });
  clear(main);
  main.append(
    pageHeader(t('Comptes de l’équipe', 'Staff accounts')),
    h('p', { class: 'hint' }, t('Administrateur·rice : tout. Éditeur·rice : rédige les publications et les contenus. Modérateur·rice : files de modération.',
      'Administrator: everything. Editor: writes posts and content. Moderator: moderation queues.')),
    tableBox,
    h('section', { 'aria-labelledby': 'new-account' },
      h('h2', { id: 'new-account' }, t('Nouveau compte', 'New account')),
      createForm()),
  );
  await load();

  async function load() {
    const data = await api('GET', '/api/staff/accounts');
    clear(tableBox).append(h('table', { 'data-testid': 'accounts-table' },
      h('caption', { class: 'visually-hidden' }, t('Comptes', 'Accounts')),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, t('Nom', 'Name')),
        h('th', { scope: 'col' }, t('Adresse', 'Email')),
        h('th', { scope: 'col' }, t('Rôle', 'Role')),
        h('th', { scope: 'col' }, t('État', 'Status')),
        h('th', { scope: 'col' }, t('Créé', 'Created')),
        h('th', { scope: 'col' }, t('Actions', 'Actions')))),
      h('tbody', null, (data.accounts || []).map(row))));
  }

  function row(account) {
    const id = encodeURIComponent(account.id);
    const self = ctx.me && ctx.me.id === account.id;
    const nameId = `account-${account.id}`;
    const select = roleSelect(account.role, { 'data-testid': 'account-role', 'data-account-id': account.id, disabled: self });
    const apply = h('button', { type: 'button', class: 'secondary small', 'data-testid': 'account-role-save',
      'data-account-id': account.id, 'aria-describedby': nameId, disabled: self }, t('Changer le rôle', 'Change role'));
    apply.addEventListener('click', () => busy(apply, async () => {
      if (select.value === account.role) return;
      await api('PUT', `/api/staff/accounts/${id}`, { role: select.value });
      announce(t(`${account.name} : rôle ${roleName(select.value)}.`, `${account.name}: role ${roleName(select.value)}.`));
      account.role = select.value;
    }, { onError: (e) => { select.value = account.role; announce(errorMessage(e)); } }));

    const actions = h('div', { class: 'actions' });
    if (!self) {
      const toggle = h('button', { type: 'button', class: account.disabled ? 'secondary small' : 'danger small',
        'data-testid': 'account-disable', 'data-account-id': account.id, 'aria-describedby': nameId },
      account.disabled ? t('Réactiver', 'Enable') : t('Désactiver', 'Disable'));
      toggle.addEventListener('click', async () => {
        const disabling = !account.disabled;
        if (disabling) {
          const ok = await confirmDialog(t(`Désactiver le compte de ${account.name} ? Ses sessions et jetons cessent de fonctionner.`,
            `Disable ${account.name}’s account? Their sessions and tokens stop working.`), { confirmLabel: t('Désactiver', 'Disable'), danger: true });
          if (!ok) return;
        }
        await busy(toggle, async () => {
          await api('PUT', `/api/staff/accounts/${id}`, { disabled: disabling });
          announce(disabling ? t(`Compte de ${account.name} désactivé.`, `${account.name}’s account disabled.`)
            : t(`Compte de ${account.name} réactivé.`, `${account.name}’s account enabled.`));
          await load();
        });
      });
      actions.append(toggle);
    }
    const reset = h('button', { type: 'button', class: 'secondary small', 'data-testid': 'account-reset-password',
      'data-account-id': account.id, 'aria-describedby': nameId }, t('Nouveau mot de passe', 'New password'));
    reset.addEventListener('click', async () => {
      const input = h('input', { type: 'password', name: 'new_password', autocomplete: 'new-password', minlength: MIN_PASSWORD,
        required: true, 'data-testid': 'reset-password-input' });
      const done = await openDialog({
        title: t(`Nouveau mot de passe pour ${account.name}`, `New password for ${account.name}`),
        content: [field(t('Nouveau mot de passe', 'New password'), input, null,
          { hint: t(`${MIN_PASSWORD} caractères au moins. Ses sessions en cours sont fermées.`, `At least ${MIN_PASSWORD} characters. Their open sessions are ended.`) })],
        submitLabel: t('Enregistrer', 'Save'),
        form: true,
        testid: 'reset-password-dialog',
        validate: () => {
          if (input.value.length >= MIN_PASSWORD) return true;
          setFieldError(input, t(`${MIN_PASSWORD} caractères au moins.`, `At least ${MIN_PASSWORD} characters.`));
          return false;
        },
        onSubmit: async () => {
          await api('POST', `/api/staff/accounts/${id}/password`, { new_password: input.value });
          return true;
        },
      });
      if (done) announce(t(`Mot de passe de ${account.name} remplacé.`, `${account.name}’s password replaced.`));
    });
    actions.append(reset);

    return h('tr', { 'data-testid': 'account-row', 'data-account-id': account.id },
      h('th', { scope: 'row', id: nameId }, account.name, self ? t(' (vous)', ' (you)') : ''),
      h('td', null, account.email),
      h('td', null, h('div', { class: 'actions' },
        field(t(`Rôle de ${account.name}`, `${account.name}’s role`), select, null, { labelClass: 'visually-hidden' }), apply)),
      h('td', null, account.disabled ? badge(t('désactivé', 'disabled'), 'disabled') : badge(t('actif', 'active'), 'ok')),
      h('td', null, formatDate(account.created_at)),
      h('td', null, actions));
  }

  function createForm() {
    const email = h('input', { type: 'email', name: 'email', required: true, autocomplete: 'off', 'data-testid': 'new-account-email' });
    const name = h('input', { type: 'text', name: 'name', required: true, autocomplete: 'off', 'data-testid': 'new-account-name' });
    const role = roleSelect('editor', { 'data-testid': 'new-account-role' });
    const password = h('input', { type: 'password', name: 'password', required: true, minlength: MIN_PASSWORD,
      autocomplete: 'new-password', 'data-testid': 'new-account-password' });
    const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'new-account-submit' }, t('Créer le compte', 'Create the account'));
    const form = h('form', { class: 'form', novalidate: true, 'data-testid': 'new-account-form' },
      field(t('Adresse électronique', 'Email address'), email),
      field(t('Nom', 'Name'), name),
      field(t('Rôle', 'Role'), role),
      field(t('Mot de passe initial', 'Initial password'), password, null,
        { hint: t(`${MIN_PASSWORD} caractères au moins ; à transmettre de façon sûre, la personne le changera.`,
          `At least ${MIN_PASSWORD} characters; send it safely, the person will change it.`) }),
      h('div', { class: 'actions' }, submit));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(form);
      let first = null;
      const flag = (input, message) => { setFieldError(input, message); first = first || input; };
      if (!/^[^\s@]+@[^\s@]+$/.test(email.value.trim())) flag(email, t('Une adresse électronique valide est attendue.', 'A valid email address is expected.'));
      if (!name.value.trim()) flag(name, t('Le nom est obligatoire.', 'The name is required.'));
      if (password.value.length < MIN_PASSWORD) flag(password, t(`${MIN_PASSWORD} caractères au moins.`, `At least ${MIN_PASSWORD} characters.`));
      if (first) { first.focus(); return; }
      await busy(submit, async () => {
        try {
          const created = await api('POST', '/api/staff/accounts',
            { email: email.value.trim(), name: name.value.trim(), role: role.value, password: password.value });
          form.reset();
          role.value = 'editor';
          announce(t(`Compte de ${created.account.name} créé.`, `${created.account.name}’s account created.`));
          await load();
        } catch (error) {
          showErrors(form, error);
        }
      });
    });
    return form;
  }
}
