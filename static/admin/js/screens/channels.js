// Channels (administrators): the library's accounts on Mastodon, Bluesky, Facebook (a Page),
// Instagram (a professional account linked to a Page) and webhooks. Credentials are
// write-only: the API never returns them, the forms never show them again.
//
// Endpoints: GET /api/channels; POST /api/channels {kind,name,url,handle?,account_id?,
// access_token?,app_password?} → {channel, secret?}; POST /api/channels/:id/check; PUT
// /api/channels/:id/credentials {access_token|app_password}; DELETE /api/channels/:id;
// GET/PUT /api/posts/slots/:id {"slots":[{"day","time"}]}; and for the approval toggle
// PUT /api/channels/:id {"approval_required": bool} (see the report: not in the contract).

import { api } from '../api.js';
import { t, formatDateTime } from '../i18n.js';
import {
  h, clear, field, pageHeader, announce, showErrors, clearErrors, busy, errorMessage, openDialog,
  confirmDialog, setFieldError, empty, formValues, append
} from '../ui.js';
import { kindName } from '../posts.js';

const STATUS = {
  unchecked: () => t('Non vérifié', 'Not checked'),
  connected: () => t('Connecté', 'Connected'),
  needs_reconnect: () => t('À reconnecter', 'Needs reconnecting'),
  unreachable: () => t('Injoignable', 'Unreachable'),
};

/** Meta's Graph API, the address Facebook and Instagram channels use unless told otherwise. */
const GRAPH_API = 'https://graph.facebook.com/v21.0';

/** What each network's credential is called, its field and where staff find it. */
const SECRETS = {
  mastodon: {
    name: 'access_token',
    label: () => t('Jeton d’accès Mastodon', 'Mastodon access token'),
    hint: () => t('Préférences › Développement › Nouvelle application, portées write:statuses write:media read:accounts read:statuses (read:statuses pour les statistiques des publications).',
      'Preferences › Development › New application, scopes write:statuses write:media read:accounts read:statuses (read:statuses for the posts’ figures).'),
  },
  bluesky: {
    name: 'app_password',
    label: () => t('Mot de passe d’application Bluesky', 'Bluesky app password'),
    hint: () => t('Réglages › Mots de passe d’application ; jamais le mot de passe du compte.', 'Settings › App passwords; never the account password.'),
  },
  facebook: {
    name: 'access_token',
    label: () => t('Jeton d’accès de la Page', 'Page access token'),
    hint: () => t('Un jeton de Page longue durée (autorisations pages_manage_posts, pages_read_engagement, read_insights), obtenu dans l’explorateur de l’API Graph ou l’outil de l’application Meta.',
      'A long-lived Page token (pages_manage_posts, pages_read_engagement, read_insights permissions), from the Graph API Explorer or the Meta app’s tools.'),
  },
  instagram: {
    name: 'access_token',
    label: () => t('Jeton d’accès de la Page liée', 'Access token of the linked Page'),
    hint: () => t('Le jeton de la Page Facebook liée au compte Instagram (autorisations instagram_basic, instagram_content_publish, instagram_manage_insights).',
      'The token of the Facebook Page linked to the Instagram account (instagram_basic, instagram_content_publish, instagram_manage_insights permissions).'),
  },
};

const ACCOUNT_ID_HINT = {
  facebook: () => t('Des chiffres : Page › À propos › Transparence de la Page, ou l’explorateur de l’API Graph (me/accounts).',
    'Digits: Page › About › Page transparency, or the Graph API Explorer (me/accounts).'),
  instagram: () => t('Des chiffres : l’explorateur de l’API Graph, {page-id}?fields=instagram_business_account. Le compte doit être professionnel et lié à la Page.',
    'Digits: the Graph API Explorer, {page-id}?fields=instagram_business_account. The account must be professional and linked to the Page.'),
};

const DAYS = [
  ['mon', () => t('lundi', 'Monday')], ['tue', () => t('mardi', 'Tuesday')],
  ['wed', () => t('mercredi', 'Wednesday')], ['thu', () => t('jeudi', 'Thursday')],
  ['fri', () => t('vendredi', 'Friday')], ['sat', () => t('samedi', 'Saturday')],
  ['sun', () => t('dimanche', 'Sunday')],
];

export async function render(main, params, ctx) {
  const admin = ctx.can('administer');
  const tableBox = h('div', { class: 'table-scroll' });
  const secretBox = h('div', { 'aria-live': 'polite' });

  clear(main);
  append(main, 
    pageHeader(t('Canaux', 'Channels')),
    h('p', { class: 'hint' }, t('Les jetons et mots de passe d’application ne sont jamais réaffichés : pour les changer, utilisez « Reconnecter ».',
      'Tokens and app passwords are never shown again: to change them, use “Reconnect”.')),
    tableBox,
    secretBox,
    admin ? connectForm() : null,
  );
  await load();

  async function load() {
    const data = await api('GET', '/api/channels');
    const channels = data.channels || [];
    clear(tableBox);
    if (!channels.length) {
      tableBox.append(empty(t('Aucun canal pour l’instant.', 'No channel yet.')));
      return;
    }
    tableBox.append(h('table', { 'data-testid': 'channels-table' },
      h('caption', { class: 'visually-hidden' }, t('Canaux connectés', 'Connected channels')),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, t('Nom', 'Name')),
        h('th', { scope: 'col' }, t('Type', 'Kind')),
        h('th', { scope: 'col' }, t('Compte', 'Account')),
        h('th', { scope: 'col' }, t('État', 'Status')),
        h('th', { scope: 'col' }, t('Validation', 'Approval')),
        h('th', { scope: 'col' }, t('Actions', 'Actions')))),
      h('tbody', null, channels.map(row))));
  }

  function row(channel) {
    const id = encodeURIComponent(channel.id);
    const nameId = `channel-${channel.id}`;
    const status = h('td', null,
      h('span', { class: ['badge', `badge-${channel.status}`], 'data-testid': 'channel-status', 'data-status': channel.status },
        STATUS[channel.status] ? STATUS[channel.status]() : channel.status),
      channel.status_reason ? h('p', { class: 'hint' }, channel.status_reason) : null,
      channel.checked_at ? h('p', { class: 'hint' }, t(`Vérifié le ${formatDateTime(channel.checked_at)}`, `Checked ${formatDateTime(channel.checked_at)}`)) : null,
      channel.kind === 'mastodon' && channel.limits
        ? h('p', { class: 'hint' }, t(`${channel.limits.max_characters} caractères au plus`, `${channel.limits.max_characters} characters at most`)) : null);

    // Approval toggle: a real checkbox with its own label.
    const toggle = h('input', { type: 'checkbox', checked: channel.approval_required !== false, disabled: !admin,
      'data-testid': 'channel-approval', 'data-channel-id': channel.id, 'aria-describedby': nameId });
    toggle.addEventListener('change', async () => {
      const wanted = toggle.checked;
      toggle.disabled = true;
      try {
        await api('PUT', `/api/channels/${id}`, { approval_required: wanted });
        announce(wanted
          ? t(`${channel.name} : validation requise.`, `${channel.name}: approval required.`)
          : t(`${channel.name} : publication sans validation.`, `${channel.name}: no approval needed.`));
      } catch (error) {
        toggle.checked = !wanted;
        announce(t(`Changement refusé : ${errorMessage(error)}`, `Change refused: ${errorMessage(error)}`));
      } finally {
        toggle.disabled = !admin;
      }
    });

    const actions = h('div', { class: 'actions' });
    const button = (label, testid, onclick, cls = 'secondary small') => {
      const b = h('button', { type: 'button', class: cls, 'data-testid': testid, 'data-channel-id': channel.id,
        'aria-describedby': nameId }, label);
      b.addEventListener('click', () => onclick(b));
      actions.append(b);
    };
    if (admin) {
      button(t('Vérifier', 'Check'), 'channel-check', (b) => busy(b, async () => {
        const checked = await api('POST', `/api/channels/${id}/check`);
        announce(t(`${channel.name} : ${STATUS[checked.status] ? STATUS[checked.status]() : checked.status}.`,
          `${channel.name}: ${STATUS[checked.status] ? STATUS[checked.status]() : checked.status}.`));
        await load();
      }));
      if (channel.kind !== 'webhook') {
        button(t('Reconnecter', 'Reconnect'), 'channel-reconnect', async () => {
          const done = await reconnect(channel);
          if (done) {
            announce(t(`${channel.name} : identifiants remplacés.`, `${channel.name}: credentials replaced.`));
            await load();
          }
        });
      }
      button(t('Créneaux', 'Slots'), 'channel-slots', () => editSlots(channel));
      button(t('Supprimer', 'Delete'), 'channel-delete', async (b) => {
        const ok = await confirmDialog(t(`Supprimer le canal « ${channel.name} » ? Les publications prévues ne pourront plus y partir.`,
          `Delete the channel “${channel.name}”? Scheduled posts will no longer go out to it.`),
        { confirmLabel: t('Supprimer', 'Delete'), danger: true });
        if (!ok) return;
        await busy(b, async () => {
          await api('DELETE', `/api/channels/${id}`);
          announce(t(`Canal « ${channel.name} » supprimé.`, `Channel “${channel.name}” deleted.`));
          await load();
        });
      }, 'danger small');
    }

    return h('tr', { 'data-testid': 'channel-row', 'data-channel-id': channel.id },
      h('th', { scope: 'row', id: nameId }, channel.name),
      h('td', null, kindName(channel.kind)),
      h('td', null, channel.account || channel.handle || '', h('br'), h('span', { class: 'hint' }, channel.url)),
      status,
      h('td', null, field(t('Validation requise', 'Approval required'), toggle)),
      h('td', null, actions));
  }

  /** Replaces a channel's credentials; resolves true when done. */
  function reconnect(channel) {
    const secret = SECRETS[channel.kind] || SECRETS.mastodon;
    const input = h('input', { type: 'password', name: secret.name, autocomplete: 'off', required: true, 'data-testid': 'reconnect-secret' });
    return openDialog({
      title: t(`Reconnecter ${channel.name}`, `Reconnect ${channel.name}`),
      content: [field(secret.label(), input, null, { hint: secret.hint() })],
      submitLabel: t('Enregistrer', 'Save'),
      form: true,
      testid: 'reconnect-dialog',
      validate: () => {
        if (input.value.trim()) return true;
        setFieldError(input, t('Ce champ est obligatoire.', 'This field is required.'));
        return false;
      },
      onSubmit: async () => {
        await api('PUT', `/api/channels/${encodeURIComponent(channel.id)}/credentials`, { [secret.name]: input.value.trim() });
        return true;
      },
    });
  }

  /** The weekly slots used by "next free slot". */
  async function editSlots(channel) {
    let slots;
    try {
      slots = (await api('GET', `/api/posts/slots/${encodeURIComponent(channel.id)}`)).slots || [];
    } catch (error) {
      announce(errorMessage(error));
      return;
    }
    const rows = h('ul', { class: 'stack slot-rows' });
    const addRow = (slot = { day: 'mon', time: '10:00' }) => {
      const day = h('select', { name: 'day' }, DAYS.map(([value, label]) => h('option', { value, selected: value === slot.day }, label())));
      const time = h('input', { type: 'time', name: 'time', value: slot.time, step: 60, required: true });
      const remove = h('button', { type: 'button', class: 'secondary small' }, t('Retirer', 'Remove'));
      const li = h('li', { class: 'image-row' }, field(t('Jour', 'Day'), day), field(t('Heure', 'Time'), time), remove);
      remove.addEventListener('click', () => {
        li.remove();
        add.focus();
      });
      rows.append(li);
      return day;
    };
    const add = h('button', { type: 'button', class: 'secondary', onclick: () => addRow().focus() }, t('Ajouter un créneau', 'Add a slot'));
    slots.forEach(addRow);
    const saved = await openDialog({
      title: t(`Créneaux hebdomadaires de ${channel.name}`, `Weekly slots of ${channel.name}`),
      content: [h('p', { class: 'hint' }, t('« Prochain créneau libre » programme à la prochaine de ces heures sans autre publication.',
        '“Next free slot” schedules at the next of these times without another post.')), rows, add],
      submitLabel: t('Enregistrer', 'Save'),
      form: true,
      testid: 'slots-dialog',
      onSubmit: async () => {
        const body = { slots: [...rows.children].map((li) => ({
          day: li.querySelector('select').value,
          time: li.querySelector('input').value.slice(0, 5),
        })) };
        await api('PUT', `/api/posts/slots/${encodeURIComponent(channel.id)}`, body);
        return true;
      },
    });
    if (saved) announce(t('Créneaux enregistrés.', 'Slots saved.'));
  }

  function connectForm() {
    const kindName_ = 'kind';
    const kinds = ['mastodon', 'bluesky', 'facebook', 'instagram', 'webhook'].map((kind, i) => h('input', {
      type: 'radio', name: kindName_, value: kind, checked: i === 0, 'data-testid': `connect-kind-${kind}`,
    }));
    const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 100, 'data-testid': 'connect-name' });
    const url = h('input', { type: 'url', name: 'url', required: true, inputmode: 'url', placeholder: 'https://', 'data-testid': 'connect-url' });
    const handle = h('input', { type: 'text', name: 'handle', autocomplete: 'off', placeholder: 'bib.bsky.social', 'data-testid': 'connect-handle' });
    const token = h('input', { type: 'password', name: 'access_token', autocomplete: 'off', 'data-testid': 'connect-access-token' });
    const accountId = h('input', { type: 'text', name: 'account_id', autocomplete: 'off', inputmode: 'numeric', pattern: '[0-9]+',
      'data-testid': 'connect-account-id' });
    const appPassword = h('input', { type: 'password', name: 'app_password', autocomplete: 'off', 'data-testid': 'connect-app-password' });
    const urlHint = h('p', { class: 'hint', id: 'connect-url-hint' });
    const handleField = field(t('Identifiant Bluesky', 'Bluesky handle'), handle);
    const tokenField = field(SECRETS.mastodon.label(), token, null, { hint: SECRETS.mastodon.hint() });
    const tokenLabel = tokenField.querySelector('label');
    const tokenHint = tokenField.querySelector('.hint');
    const accountIdField = field(t('Identifiant de la Page Facebook', 'Facebook Page id'), accountId, null,
      { hint: ACCOUNT_ID_HINT.facebook() });
    const accountIdLabel = accountIdField.querySelector('label');
    const accountIdHint = accountIdField.querySelector('.hint');
    const appPasswordField = field(SECRETS.bluesky.label(), appPassword, null, { hint: SECRETS.bluesky.hint() });
    const urlField = field(t('Adresse', 'Address'), url);
    url.setAttribute('aria-describedby', urlHint.id);
    urlField.insertBefore(urlHint, urlField.querySelector('.field-error'));
    const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'connect-submit' }, t('Connecter', 'Connect'));
    const form = h('form', { class: 'form', novalidate: true, 'data-testid': 'connect-form' },
      h('fieldset', null, h('legend', null, t('Réseau', 'Network')),
        kinds.map((k) => field(kindName(k.value), k))),
      field(t('Nom (pour l’équipe)', 'Name (for staff)'), name),
      urlField, handleField, accountIdField, tokenField, appPasswordField,
      h('div', { class: 'actions' }, submit));

    const kind = () => kinds.find((k) => k.checked).value;
    const sync = () => {
      const k = kind();
      const meta = k === 'facebook' || k === 'instagram';
      handleField.hidden = k !== 'bluesky';
      tokenField.hidden = !(k === 'mastodon' || meta);
      appPasswordField.hidden = k !== 'bluesky';
      accountIdField.hidden = !meta;
      if (SECRETS[k] && SECRETS[k].name === 'access_token') {
        if (tokenLabel) tokenLabel.textContent = SECRETS[k].label();
        if (tokenHint) tokenHint.textContent = SECRETS[k].hint();
      }
      if (meta) {
        if (accountIdLabel) accountIdLabel.textContent = k === 'facebook'
          ? t('Identifiant de la Page Facebook', 'Facebook Page id')
          : t('Identifiant du compte Instagram professionnel', 'Instagram professional account id');
        if (accountIdHint) accountIdHint.textContent = ACCOUNT_ID_HINT[k]();
      }
      urlHint.textContent = k === 'mastodon' ? t('Le serveur, par ex. https://mastodon.social', 'The server, e.g. https://mastodon.social')
        : k === 'bluesky' ? t('Le serveur (PDS), en général https://bsky.social', 'The server (PDS), usually https://bsky.social')
          : meta ? t(`L’API Graph de Meta, en général ${GRAPH_API}`, `Meta’s Graph API, usually ${GRAPH_API}`)
            : t('L’adresse https qui recevra les publications.', 'The https address that will receive the posts.');
      // The usual address, when the field is empty or still holds another network's default.
      if (!url.value || url.value === 'https://bsky.social' || url.value === GRAPH_API) {
        url.value = k === 'bluesky' ? 'https://bsky.social' : meta ? GRAPH_API : '';
      }
    };
    kinds.forEach((k) => k.addEventListener('change', sync));
    sync();

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(form);
      const k = kind();
      let first = null;
      const need = (input, message) => {
        if (input.value.trim()) return;
        setFieldError(input, message);
        first = first || input;
      };
      need(name, t('Le nom est obligatoire.', 'The name is required.'));
      need(url, t('L’adresse est obligatoire.', 'The address is required.'));
      if (k === 'bluesky') {
        need(handle, t('L’identifiant est obligatoire.', 'The handle is required.'));
        need(appPassword, t('Le mot de passe d’application est obligatoire.', 'The app password is required.'));
      }
      if (k === 'mastodon' || k === 'facebook' || k === 'instagram') need(token, t('Le jeton est obligatoire.', 'The token is required.'));
      if (k === 'facebook' || k === 'instagram') {
        need(accountId, t('L’identifiant est obligatoire.', 'The id is required.'));
        if (accountId.value.trim() && !/^[0-9]+$/.test(accountId.value.trim())) {
          setFieldError(accountId, t('L’identifiant ne contient que des chiffres.', 'The id is digits only.'));
          first = first || accountId;
        }
      }
      if (first) {
        first.focus();
        return;
      }
      const v = formValues(form);
      const body = { kind: k, name: v.name.trim(), url: v.url.trim() };
      if (k === 'bluesky') Object.assign(body, { handle: v.handle.trim(), app_password: v.app_password.trim() });
      if (k === 'mastodon') body.access_token = v.access_token.trim();
      if (k === 'facebook' || k === 'instagram') Object.assign(body, { account_id: v.account_id.trim(), access_token: v.access_token.trim() });
      await busy(submit, async () => {
        try {
          const created = await api('POST', '/api/channels', body);
          form.reset();
          sync();
          clear(secretBox);
          if (created.secret) {
            secretBox.append(h('div', { class: 'success-box', 'data-testid': 'webhook-secret' },
              h('p', null, t('Secret de signature du webhook — copiez-le maintenant, il ne sera plus affiché :',
                'Webhook signing secret — copy it now, it will not be shown again:')),
              h('code', { class: 'secret' }, created.secret)));
          }
          announce(t(`Canal « ${created.channel.name} » connecté. Vérifiez la connexion.`, `Channel “${created.channel.name}” connected. Check the connection.`));
          await load();
        } catch (error) {
          showErrors(form, error);
        }
      });
    });

    return h('section', { 'aria-labelledby': 'connect-title' },
      h('h2', { id: 'connect-title' }, t('Connecter un canal', 'Connect a channel')), form);
  }
}
