// Polls: the staff list, the editor (four kinds of vote), opening and closing, results with
// their figures, the CSV export, invitation codes and the links to the public pages.
//
// Routes: #/polls (list, ?status= filter), #/polls?new=1 (creation form), #/polls/:id.
// API: components/polls/src/api.rs; the request shape is CreatePollRequest in
// crates/kiosque-domain/src/polls/mod.rs. Dates go over the wire as RFC 3339 UTC; staff type
// them in the library's zone and i18n.js converts.

import { api } from '../api.js';
import { t, lang, formatDateTime, formatNumber, toParisParts, fromParisParts, timeZoneLabel } from '../i18n.js';
import {
  h, field, showErrors, announce, confirmDialog, clearErrors, setFieldError, clear, pageHeader,
  loading, errorBox, errorMessage, empty, badge, busy, append
} from '../ui.js';
import { libraryImage } from '../media-picker.js';

const KINDS = {
  single: () => t('Choix unique', 'Single choice'),
  multiple: () => t('Choix multiple', 'Multiple choice'),
  ranked: () => t('Classement (méthode de Borda)', 'Ranking (Borda count)'),
  majority: () => t('Jugement majoritaire', 'Majority judgment'),
};

const STATUSES = {
  draft: () => t('Brouillon', 'Draft'),
  upcoming: () => t('À venir', 'Upcoming'),
  open: () => t('Ouvert', 'Open'),
  closed: () => t('Clos', 'Closed'),
};

const VISIBILITIES = {
  always: () => t('Toujours visibles', 'Always visible'),
  after_vote: () => t('Après avoir voté', 'After voting'),
  after_close: () => t('Après la clôture', 'After closing'),
  staff: () => t('Équipe seulement', 'Staff only'),
};

const METHODS = {
  cookie: () => t('Un vote par navigateur (cookie)', 'One vote per browser (cookie)'),
  card: () => t('Numéro de carte de lecteur', 'Library card number'),
  codes: () => t('Codes d’invitation à usage unique', 'Single-use invitation codes'),
};

// The six grades of majority judgment, worst to best (GRADES_FR / GRADES_EN in majority.rs).
const GRADES_FR = ['À rejeter', 'Insuffisant', 'Passable', 'Assez bien', 'Bien', 'Très bien'];
const GRADES_EN = ['To reject', 'Poor', 'Fair', 'Good', 'Very good', 'Excellent'];

const MAX_OPTIONS = 20;
const MIN_OPTIONS = 2;

const label = (table, key) => (table[key] ? table[key]() : key);

/** "2026-03-01T09:30" (the library's wall clock, for <input type="datetime-local">) from an instant. */
function toLocalInput(iso) {
  if (!iso) return '';
  const p = toParisParts(iso);
  return p.date ? `${p.date}T${p.time}` : '';
}

/** The UTC instant of a datetime-local value typed in the library's zone, or null when empty. */
function fromLocalInput(value) {
  if (!value) return null;
  const [date, time] = value.split('T');
  return fromParisParts(date, time) || null;
}

/** An alert box that stays in place and is filled when an action fails. */
function alertRegion(testid) {
  return h('div', { class: 'error-box', role: 'alert', hidden: true, 'data-testid': testid });
}

function showAlert(region, error) {
  region.textContent = errorMessage(error);
  region.hidden = false;
}

function hideAlert(region) {
  region.textContent = '';
  region.hidden = true;
}

export async function render(main, params, ctx) {
  if (params.id) return renderDetail(main, params.id, ctx);
  if (params.new !== undefined && ctx.can('edit')) return renderCreate(main, ctx);
  return renderList(main, params, ctx);
}

// ---- List ----------------------------------------------------------------------------------

async function renderList(main, params, ctx) {
  const status = STATUSES[params.status] ? params.status : '';
  append(main, pageHeader(t('Sondages', 'Polls'),
    ctx.can('edit') ? h('a', { href: '#/polls?new=1', class: 'button primary', 'data-testid': 'poll-new' },
      t('Nouveau sondage', 'New poll')) : null));

  // A GET form: changing the filter changes the hash, so the filtered list can be bookmarked.
  const select = h('select', { name: 'status', 'data-testid': 'poll-status-filter' },
    h('option', { value: '' }, t('Tous', 'All')),
    Object.keys(STATUSES).map((key) => h('option', { value: key, selected: key === status }, label(STATUSES, key))));
  const filter = h('form', { class: 'actions', role: 'search',
    onsubmit: (event) => {
      event.preventDefault();
      ctx.navigate(select.value ? `#/polls?status=${select.value}` : '#/polls');
    } },
  field(t('Statut', 'Status'), select), h('button', { type: 'submit', class: 'secondary' }, t('Filtrer', 'Filter')));
  main.append(filter);

  const tbody = h('tbody');
  const table = h('div', { class: 'table-scroll' }, h('table', { 'data-testid': 'poll-list' },
    h('caption', { class: 'visually-hidden' }, t('Sondages, du plus récent au plus ancien', 'Polls, newest first')),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, t('Question', 'Question')),
      h('th', { scope: 'col' }, t('Type', 'Kind')),
      h('th', { scope: 'col' }, t('Statut', 'Status')),
      h('th', { scope: 'col' }, t('Ouverture', 'Opens')),
      h('th', { scope: 'col' }, t('Clôture', 'Closes')))),
    tbody));
  const more = h('div', { class: 'actions' });
  const placeholder = loading();
  main.append(placeholder);

  const loadPage = async (page) => {
    const query = new URLSearchParams();
    if (status) query.set('status', status);
    if (page) query.set('page', String(page));
    const data = await api('GET', `/api/polls${query.toString() ? `?${query}` : ''}`);
    for (const poll of data.polls) {
      tbody.append(h('tr', { 'data-testid': 'poll-row' },
        h('th', { scope: 'row' }, h('a', { href: `#/polls/${encodeURIComponent(poll.id)}` }, poll.question)),
        h('td', null, label(KINDS, poll.kind)),
        h('td', null, badge(label(STATUSES, poll.status), poll.status)),
        h('td', null, poll.opens_at ? formatDateTime(poll.opens_at) : '—'),
        h('td', null, poll.closes_at ? formatDateTime(poll.closes_at) : '—')));
    }
    clear(more);
    if (data.next_page) {
      const next = h('button', { type: 'button', class: 'secondary', 'data-testid': 'poll-list-more' },
        t('Afficher les suivants', 'Show more'));
      next.addEventListener('click', () => busy(next, async () => {
        const before = tbody.rows.length;
        await loadPage(data.next_page);
        // Keep the keyboard user where the new rows start rather than at the end of the page.
        const first = tbody.rows[before] && tbody.rows[before].querySelector('a');
        if (first) first.focus();
      }, { success: t('Sondages suivants affichés', 'More polls shown') }));
      more.append(next);
    }
    return data.polls.length;
  };

  const count = await loadPage(null);
  placeholder.remove();
  if (!count) {
    main.append(empty(status ? t('Aucun sondage dans cet état.', 'No poll in this state.')
      : t('Aucun sondage pour l’instant.', 'No poll yet.')));
  } else {
    main.append(table, more);
  }
}

// ---- Creation and edition --------------------------------------------------------------------

function renderCreate(main, ctx) {
  main.append(pageHeader(t('Nouveau sondage', 'New poll')),
    h('p', null, h('a', { href: '#/polls' }, t('← Retour aux sondages', '← Back to polls'))));
  main.append(pollForm(null, async (body) => {
    const poll = await api('POST', '/api/polls', body);
    announce(t('Sondage créé', 'Poll created'));
    ctx.navigate(`#/polls/${encodeURIComponent(poll.id)}`);
  }));
}

/**
 * The poll form, for creation (`poll` null) and edition (the poll as GET answers it).
 * `save(body)` sends the CreatePollRequest; its ApiError is shown beside the fields.
 */
function pollForm(poll, save) {
  const form = h('form', { class: 'form', novalidate: true, 'data-testid': 'poll-form' });

  const question = h('input', { type: 'text', name: 'question', 'data-field': 'question', required: true,
    maxlength: '300', value: poll ? poll.question : '' });

  // Kind: a radio group in a fieldset, so the group has a name for screen readers.
  const kindRadios = Object.keys(KINDS).map((key) => h('input', {
    type: 'radio', name: 'kind', value: key, 'data-testid': `poll-kind-${key}`,
    checked: (poll ? poll.kind : 'single') === key,
  }));
  const kindFieldset = h('fieldset', null, h('legend', null, t('Type de vote', 'Kind of vote')),
    kindRadios.map((radio) => field(label(KINDS, radio.value), radio)));

  const minChoices = h('input', { type: 'number', name: 'min_choices', 'data-field': 'min_choices', min: '1',
    max: String(MAX_OPTIONS), value: poll && poll.min_choices ? String(poll.min_choices) : '1' });
  const maxChoices = h('input', { type: 'number', name: 'max_choices', 'data-field': 'max_choices', min: '1',
    max: String(MAX_OPTIONS), value: poll && poll.max_choices ? String(poll.max_choices) : '' });
  const choices = h('fieldset', { class: 'choice-limits' },
    h('legend', null, t('Nombre de réponses par votant', 'Answers per voter')),
    field(t('Au moins', 'At least'), minChoices),
    field(t('Au plus', 'At most'), maxChoices, null,
      { hint: t('Vide : autant que de réponses proposées.', 'Empty: as many as there are answers.') }));
  const syncKind = () => {
    choices.hidden = kindValue() !== 'multiple';
  };
  const kindValue = () => (kindRadios.find((r) => r.checked) || kindRadios[0]).value;
  for (const radio of kindRadios) radio.addEventListener('change', syncKind);

  // Options: a list that grows and shrinks; each row has the answer and an optional image.
  const optionList = h('ol', { class: 'repeat-list', 'data-testid': 'poll-options' });
  const addOption = h('button', { type: 'button', class: 'secondary', 'data-testid': 'poll-option-add' },
    t('Ajouter une réponse', 'Add an answer'));
  const renumber = () => {
    const rows = [...optionList.children];
    rows.forEach((row, i) => {
      // The data-field paths follow the API's error paths (`options[2].text`).
      row.querySelector('[data-role="text"]').dataset.field = `options[${i}].text`;
      row.querySelector('[data-role="image_url"]').dataset.field = `options[${i}].image_url`;
      row.querySelector('[data-role="image_alt"]').dataset.field = `options[${i}].image_alt`;
      row.querySelector('legend').textContent = t(`Réponse ${i + 1}`, `Answer ${i + 1}`);
      const remove = row.querySelector('[data-role="remove"]');
      remove.textContent = t(`Retirer la réponse ${i + 1}`, `Remove answer ${i + 1}`);
      remove.disabled = rows.length <= MIN_OPTIONS;
    });
    addOption.disabled = rows.length >= MAX_OPTIONS;
  };
  const optionRow = (option) => {
    const text = h('input', { type: 'text', 'data-role': 'text', maxlength: '200', required: true,
      value: option ? option.text : '' });
    const imageUrl = h('input', { type: 'url', 'data-role': 'image_url', value: option && option.image_url ? option.image_url : '' });
    const imageAlt = h('input', { type: 'text', 'data-role': 'image_alt', maxlength: '300',
      value: option && option.image_alt ? option.image_alt : '' });
    const remove = h('button', { type: 'button', class: 'secondary small', 'data-role': 'remove' });
    const row = h('li', null, h('fieldset', null, h('legend'),
      field(t('Texte', 'Text'), text),
      h('details', { open: Boolean(option && option.image_url) || null },
        h('summary', null, t('Image (facultative)', 'Image (optional)')),
        field(t('Adresse de l’image (https)', 'Image address (https)'), imageUrl),
        field(t('Texte alternatif de l’image', 'Image text alternative'), imageAlt, null,
          { hint: t('Obligatoire avec une image : ce qu’elle montre.', 'Required with an image: what it shows.') })),
      remove));
    remove.addEventListener('click', () => {
      const next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      renumber();
      announce(t('Réponse retirée', 'Answer removed'));
      // Focus goes to the neighbouring answer so the keyboard user is not sent to the top.
      if (next) next.querySelector('[data-role="text"]').focus();
    });
    return row;
  };
  const initial = poll ? poll.options : [null, null];
  for (const option of initial) optionList.append(optionRow(option));
  addOption.addEventListener('click', () => {
    const row = optionRow(null);
    optionList.append(row);
    renumber();
    row.querySelector('[data-role="text"]').focus();
  });
  renumber();

  const opensAt = h('input', { type: 'datetime-local', name: 'opens_at', 'data-field': 'opens_at',
    value: poll ? toLocalInput(poll.opens_at) : '' });
  const closesAt = h('input', { type: 'datetime-local', name: 'closes_at', 'data-field': 'closes_at',
    value: poll ? toLocalInput(poll.closes_at) : '' });
  const draft = h('input', { type: 'checkbox', name: 'draft', 'data-field': 'draft',
    checked: poll ? poll.status === 'draft' : true });

  const visibility = h('select', { name: 'results_visibility', 'data-field': 'results_visibility' },
    Object.keys(VISIBILITIES).map((key) => h('option', {
      value: key, selected: (poll ? poll.results_visibility : 'always') === key,
    }, label(VISIBILITIES, key))));
  const method = h('select', { name: 'voter_method', 'data-field': 'voter_method' },
    Object.keys(METHODS).map((key) => h('option', {
      value: key, selected: (poll ? poll.voter_method : 'cookie') === key,
    }, label(METHODS, key))));
  const card = poll && poll.card_format ? poll.card_format : { min_length: 4, max_length: 20, charset: 'alphanumeric' };
  const cardMin = h('input', { type: 'number', name: 'card_min', 'data-field': 'card_format.min_length', min: '1', max: '32',
    value: String(card.min_length) });
  const cardMax = h('input', { type: 'number', name: 'card_max', 'data-field': 'card_format.max_length', min: '1', max: '32',
    value: String(card.max_length) });
  const cardCharset = h('select', { name: 'card_charset', 'data-field': 'card_format.charset' },
    h('option', { value: 'digits', selected: card.charset === 'digits' }, t('Chiffres seulement', 'Digits only')),
    h('option', { value: 'alphanumeric', selected: card.charset !== 'digits' }, t('Lettres et chiffres', 'Letters and digits')));
  const cardFieldset = h('fieldset', null,
    h('legend', null, t('Format des cartes de lecteur', 'Library card format')),
    field(t('Longueur minimale', 'Minimum length'), cardMin),
    field(t('Longueur maximale', 'Maximum length'), cardMax),
    field(t('Caractères', 'Characters'), cardCharset));
  const syncMethod = () => {
    cardFieldset.hidden = method.value !== 'card';
  };
  method.addEventListener('change', syncMethod);
  const allowChange = h('input', { type: 'checkbox', name: 'allow_vote_change', 'data-field': 'allow_vote_change',
    checked: Boolean(poll && poll.allow_vote_change) });

  // The illustration (optional): a medium of the library, or an outside image with its size.
  const illustration = poll && poll.image ? poll.image : null;
  const outside = illustration && illustration.image && illustration.image.url ? illustration.image : null;
  const imageUrl = h('input', { type: 'url', name: 'image_url', 'data-field': 'image.url', value: outside ? outside.url : '' });
  const imageWidth = h('input', { type: 'number', name: 'image_width', 'data-field': 'image.width', min: '1', max: '20000',
    value: outside ? String(outside.width) : '' });
  const imageHeight = h('input', { type: 'number', name: 'image_height', 'data-field': 'image.height', min: '1', max: '20000',
    value: outside ? String(outside.height) : '' });
  const imageAlt = h('input', { type: 'text', name: 'image_alt', 'data-field': 'image.alt', maxlength: '500',
    'data-testid': 'poll-image-alt', value: illustration ? illustration.alt : '' });
  const imageUrlParts = [
    field(t('Adresse de l’image (https)', 'Image address (https)'), imageUrl),
    field(t('Largeur (pixels)', 'Width (pixels)'), imageWidth),
    field(t('Hauteur (pixels)', 'Height (pixels)'), imageHeight),
  ];
  const library = libraryImage({
    label: t('Illustration du sondage', 'Poll illustration'),
    alt: imageAlt,
    urlParts: imageUrlParts,
    urlInput: imageUrl,
    medium: illustration && illustration.image && illustration.image.medium ? illustration.image.medium : null,
    testid: 'poll-image',
  });
  library.box.dataset.field = 'image.medium';
  const imageFieldset = h('fieldset', null, h('legend', null, t('Illustration (facultative)', 'Illustration (optional)')),
    h('p', { class: 'hint' }, t('Montrée au-dessus de la question et sur les liens partagés.',
      'Shown above the question and on shared links.')),
    library.element, imageUrlParts,
    field(t('Texte alternatif', 'Text alternative'), imageAlt, null,
      { hint: t('Obligatoire avec une image : ce qu’elle montre.', 'Required with an image: what it shows.') }));

  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'poll-save' },
    poll ? t('Enregistrer les modifications', 'Save changes') : t('Créer le sondage', 'Create the poll'));

  form.append(
    field(t('Question', 'Question'), question, null, { hint: t('300 caractères au plus.', 'At most 300 characters.') }),
    kindFieldset, choices,
    h('fieldset', null, h('legend', null, t('Réponses proposées', 'Answers')),
      h('p', { class: 'hint' }, t(`De ${MIN_OPTIONS} à ${MAX_OPTIONS} réponses.`, `${MIN_OPTIONS} to ${MAX_OPTIONS} answers.`)),
      optionList, addOption),
    imageFieldset,
    h('fieldset', null, h('legend', null, t(`Calendrier (${timeZoneLabel()})`, `Schedule (${timeZoneLabel()})`)),
      field(t('Ouverture', 'Opens at'), opensAt, null, { hint: t('Vide : dès sa publication.', 'Empty: as soon as it is published.') }),
      field(t('Clôture', 'Closes at'), closesAt, null, { hint: t('Vide : jusqu’à sa clôture manuelle.', 'Empty: until closed by hand.') }),
      field(t('Brouillon : invisible du public jusqu’à son ouverture', 'Draft: hidden from the public until opened'), draft)),
    h('fieldset', null, h('legend', null, t('Votants et résultats', 'Voters and results')),
      field(t('Identification des votants', 'How voters are told apart'), method),
      cardFieldset,
      field(t('Résultats', 'Results'), visibility),
      field(t('Les votants peuvent changer leur vote', 'Voters may change their vote'), allowChange)),
    h('div', { class: 'actions' }, submit));
  syncKind();
  syncMethod();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const kind = kindValue();
    const body = {
      question: question.value,
      kind,
      options: [...optionList.children].map((row) => {
        const text = row.querySelector('[data-role="text"]').value;
        const url = row.querySelector('[data-role="image_url"]').value.trim();
        const alt = row.querySelector('[data-role="image_alt"]').value.trim();
        // A bare string when there is no image: the API's simplest form.
        return url || alt ? { text, image_url: url || null, image_alt: alt || null } : text;
      }),
      draft: draft.checked,
      results_visibility: visibility.value,
      voter_method: method.value,
      allow_vote_change: allowChange.checked,
    };
    if (library.mediumId()) {
      body.image = { medium: library.mediumId(), alt: imageAlt.value.trim() || null };
    } else if ([imageUrl, imageWidth, imageHeight, imageAlt].some((input) => input.value.trim())) {
      // 0 when blank or unreadable: the API then says which dimension is wrong.
      body.image = { url: imageUrl.value.trim(), width: Number.parseInt(imageWidth.value, 10) || 0,
        height: Number.parseInt(imageHeight.value, 10) || 0, alt: imageAlt.value.trim() || null };
    }
    if (kind === 'multiple') {
      if (minChoices.value) body.min_choices = Number(minChoices.value);
      if (maxChoices.value) body.max_choices = Number(maxChoices.value);
    }
    if (method.value === 'card') {
      body.card_format = { min_length: Number(cardMin.value), max_length: Number(cardMax.value), charset: cardCharset.value };
    }
    // The API wants instants; a typed date that cannot be read is flagged here, not sent.
    for (const [input, key] of [[opensAt, 'opens_at'], [closesAt, 'closes_at']]) {
      if (!input.value) continue;
      const instant = fromLocalInput(input.value);
      if (!instant) {
        setFieldError(input, t('Date ou heure invalide.', 'Invalid date or time.'));
        input.focus();
        return;
      }
      body[key] = instant;
    }
    await busy(submit, () => save(body), { onError: (error) => showErrors(form, error) });
  });
  return form;
}

// ---- Detail --------------------------------------------------------------------------------

async function renderDetail(main, id, ctx) {
  const path = `/api/polls/${encodeURIComponent(id)}`;
  const placeholder = loading();
  main.append(placeholder);
  let poll = await api('GET', path);
  placeholder.remove();

  const canEdit = ctx.can('edit');
  const alert = alertRegion('poll-error');
  const header = h('div');
  const actions = h('div', { class: 'actions' });
  const info = h('div');
  const editArea = h('section', { id: 'poll-edit', 'aria-labelledby': 'poll-edit-title', hidden: true });
  const resultsArea = h('section', { 'aria-labelledby': 'poll-results-title' });
  const codesArea = h('section', { 'aria-labelledby': 'poll-codes-title' });

  main.append(h('p', null, h('a', { href: '#/polls' }, t('← Retour aux sondages', '← Back to polls'))),
    header, alert, actions, info, editArea, resultsArea, codesArea);

  const drawHeader = () => {
    clear(header);
    header.append(pageHeader(poll.question),
      h('p', null, badge(label(STATUSES, poll.status), poll.status), ' ', label(KINDS, poll.kind)));
  };

  const run = (button, action, success) => busy(button, async () => {
    hideAlert(alert);
    await action();
  }, { success, onError: (error) => showAlert(alert, error) });

  const drawActions = () => {
    clear(actions);
    if (canEdit) {
      if (poll.status !== 'open') {
        const open = h('button', { type: 'button', class: 'primary', 'data-testid': 'poll-open' },
          poll.status === 'closed' ? t('Rouvrir', 'Reopen') : t('Ouvrir maintenant', 'Open now'));
        open.addEventListener('click', () => run(open, async () => {
          poll = await api('POST', `${path}/open`);
          redraw();
          focusHeading();
        }, t('Sondage ouvert', 'Poll opened')));
        actions.append(open);
      }
      if (poll.status === 'open' || poll.status === 'upcoming') {
        const close = h('button', { type: 'button', class: 'secondary', 'data-testid': 'poll-close' }, t('Clôturer', 'Close'));
        close.addEventListener('click', async () => {
          if (!await confirmDialog(t('Clôturer ce sondage ? Plus personne ne pourra voter.', 'Close this poll? Nobody will be able to vote any more.'),
            { confirmLabel: t('Clôturer', 'Close') })) return;
          await run(close, async () => {
            poll = await api('POST', `${path}/close`);
            redraw();
            focusHeading();
          }, t('Sondage clos', 'Poll closed'));
        });
        actions.append(close);
      }
      const edit = h('button', { type: 'button', class: 'secondary', 'data-testid': 'poll-edit',
        'aria-expanded': 'false', 'aria-controls': 'poll-edit' }, t('Modifier', 'Edit'));
      edit.addEventListener('click', () => {
        const opening = editArea.hidden;
        edit.setAttribute('aria-expanded', String(opening));
        if (!opening) {
          editArea.hidden = true;
          return;
        }
        drawEdit(edit);
      });
      actions.append(edit);
      const remove = h('button', { type: 'button', class: 'danger', 'data-testid': 'poll-delete' }, t('Supprimer', 'Delete'));
      remove.addEventListener('click', async () => {
        if (!await confirmDialog(t('Supprimer ce sondage et ses résultats ? Ses pages publiques disparaîtront.',
          'Delete this poll and its results? Its public pages will disappear.'), { danger: true, confirmLabel: t('Supprimer', 'Delete') })) return;
        await run(remove, async () => {
          await api('DELETE', path);
          announce(t('Sondage supprimé', 'Poll deleted'));
          ctx.navigate('#/polls');
        });
      });
      actions.append(remove);
    }
  };

  const focusHeading = () => {
    const h1 = header.querySelector('h1');
    if (h1) h1.focus();
  };

  const drawInfo = () => {
    clear(info);
    const rows = [
      [t('Ouverture', 'Opens'), poll.opens_at ? formatDateTime(poll.opens_at) : t('dès la publication', 'when published')],
      [t('Clôture', 'Closes'), poll.closes_at ? formatDateTime(poll.closes_at) : t('manuelle', 'by hand')],
      poll.closed_at ? [t('Clos le', 'Closed on'), formatDateTime(poll.closed_at)] : null,
      [t('Votants', 'Voters'), label(METHODS, poll.voter_method)],
      [t('Résultats', 'Results'), label(VISIBILITIES, poll.results_visibility)],
      [t('Changement de vote', 'Vote changes'), poll.allow_vote_change ? t('autorisé', 'allowed') : t('non', 'no')],
      poll.kind === 'multiple' ? [t('Réponses par votant', 'Answers per voter'), `${poll.min_choices} – ${poll.max_choices}`] : null,
      [t('Créé le', 'Created on'), formatDateTime(poll.created_at)],
    ].filter(Boolean);
    info.append(h('dl', { class: 'meta-list' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])));
    info.append(h('ul', { class: 'inline-list' },
      h('li', null, h('a', { href: poll.url, 'data-testid': 'poll-public-link' }, t('Page publique', 'Public page'))),
      h('li', null, h('a', { href: poll.results_url }, t('Page des résultats', 'Results page'))),
      h('li', null, h('a', { href: poll.embed_url }, t('Widget', 'Widget')))));
    const snippet = h('textarea', { readonly: true, rows: '3', class: 'code', 'data-testid': 'poll-embed-code' });
    snippet.value = poll.embed_html;
    const copy = h('button', { type: 'button', class: 'secondary small' }, t('Copier le code', 'Copy the code'));
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(snippet.value);
        announce(t('Code copié', 'Code copied'));
      } catch {
        // Clipboard refused (permissions, old browser): select it so Ctrl+C works.
        snippet.select();
        announce(t('Code sélectionné : copiez-le avec Ctrl+C.', 'Code selected: copy it with Ctrl+C.'));
      }
    });
    info.append(h('details', null, h('summary', null, t('Intégrer sur un autre site', 'Embed on another site')),
      field(t('Code à coller', 'Code to paste'), snippet), copy));
  };

  const drawEdit = (opener) => {
    clear(editArea);
    editArea.hidden = false;
    editArea.append(h('h2', { id: 'poll-edit-title', tabindex: '-1' }, t('Modifier le sondage', 'Edit the poll')),
      h('p', { class: 'notice' }, t('Un sondage ne peut plus être modifié après le premier vote.',
        'A poll can no longer be edited after the first vote.')),
      pollForm(poll, async (body) => {
        poll = await api('PUT', path, body);
        announce(t('Sondage enregistré', 'Poll saved'));
        editArea.hidden = true;
        redraw();
        // The edit button was redrawn: give focus back to the new one.
        const again = actions.querySelector('[data-testid="poll-edit"]');
        if (again) again.focus();
      }));
    const cancel = h('button', { type: 'button', class: 'secondary' }, t('Annuler', 'Cancel'));
    cancel.addEventListener('click', () => {
      editArea.hidden = true;
      opener.setAttribute('aria-expanded', 'false');
      opener.focus();
    });
    editArea.append(cancel);
    editArea.querySelector('h2').focus();
  };

  const drawResults = async () => {
    clear(resultsArea);
    resultsArea.append(h('h2', { id: 'poll-results-title' }, t('Résultats', 'Results')));
    const csv = h('a', { href: `${path}/results.csv`, download: '', class: 'button secondary', 'data-testid': 'poll-results-csv' },
      t('Exporter les résultats (CSV)', 'Export the results (CSV)'));
    const refresh = h('button', { type: 'button', class: 'secondary', 'data-testid': 'poll-results-refresh' }, t('Actualiser', 'Refresh'));
    refresh.addEventListener('click', () => busy(refresh, async () => {
      await drawResults();
      resultsArea.querySelector('h2').setAttribute('tabindex', '-1');
      resultsArea.querySelector('h2').focus();
    }, { success: t('Résultats actualisés', 'Results refreshed') }));
    resultsArea.append(h('div', { class: 'actions' }, csv, refresh));
    let results;
    try {
      results = await api('GET', `${path}/results`);
    } catch (error) {
      resultsArea.append(errorBox(error));
      return;
    }
    resultsArea.append(resultsView(poll, results));
  };

  const drawCodes = () => {
    clear(codesArea);
    // A section labelled by a heading it does not hold is an error to assistive technology:
    // hidden, with nothing in it, when the poll has no codes.
    codesArea.hidden = poll.voter_method !== 'codes' || !canEdit;
    if (codesArea.hidden) return;
    codesArea.append(h('h2', { id: 'poll-codes-title' }, t('Codes d’invitation', 'Invitation codes')),
      h('p', null, t('Chaque code permet un vote. Ils ne sont montrés qu’une fois : distribuez-les ou téléchargez-les tout de suite.',
        'Each code allows one vote. They are shown once only: hand them out or download them right away.')));
    const count = h('input', { type: 'number', name: 'count', 'data-field': 'count', min: '1', max: '500', value: '30', required: true });
    const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'poll-codes-generate' }, t('Générer', 'Generate'));
    const output = h('div', { 'data-testid': 'poll-codes' });
    const form = h('form', { class: 'form', novalidate: true }, field(t('Nombre de codes (1 à 500)', 'Number of codes (1 to 500)'), count),
      h('div', { class: 'actions' }, submit));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(form);
      await busy(submit, async () => {
        const data = await api('POST', `${path}/codes`, { count: Number(count.value) });
        clear(output);
        const list = h('textarea', { readonly: true, rows: '8', class: 'code' });
        list.value = data.codes.join('\n');
        // A text file built in the browser: the codes never travel again.
        const url = URL.createObjectURL(new Blob([`${data.codes.join('\r\n')}\r\n`], { type: 'text/plain' }));
        output.append(h('p', { class: 'success-box' }, t(`${data.codes.length} codes générés.`, `${data.codes.length} codes generated.`)),
          field(t('Codes', 'Codes'), list),
          h('a', { href: url, download: `codes-${poll.id}.txt`, class: 'button secondary' }, t('Télécharger (.txt)', 'Download (.txt)')));
        list.focus();
      }, { success: t('Codes générés', 'Codes generated'), onError: (error) => showErrors(form, error) });
    });
    codesArea.append(form, output);
  };

  const redraw = () => {
    drawHeader();
    drawActions();
    drawInfo();
    drawCodes();
    drawResults();
  };
  redraw();
}

/** The figures of a poll, as a table readable without colour or charts. */
function resultsView(poll, results) {
  const wrap = h('div', { 'data-testid': 'poll-results' });
  wrap.append(h('ul', { class: 'figures' },
    h('li', null, h('span', { class: 'figure-value', 'data-testid': 'poll-ballots' }, formatNumber(results.ballots)),
      h('span', { class: 'figure-label' }, t('votants', 'voters')))));
  const fr = lang !== 'en';
  const head = [t('Rang', 'Rank'), t('Réponse', 'Answer')];
  let rowOf;
  if (results.kind === 'majority') {
    const grades = fr ? GRADES_FR : GRADES_EN;
    head.push(t('Mention majoritaire', 'Majority grade'), ...grades);
    rowOf = (o) => [
      h('td', null, o[fr ? 'majority_grade_fr' : 'majority_grade_en'] || '—'),
      ...(o.grades || []).map((n) => h('td', { class: 'num' }, formatNumber(n))),
    ];
  } else if (results.kind === 'ranked') {
    head.push(t('Points (Borda)', 'Points (Borda)'), t('Part des points', 'Share of points'));
    rowOf = (o) => [h('td', { class: 'num' }, formatNumber(o.points)), percentCell(o.percent)];
  } else {
    head.push(t('Voix', 'Votes'), t('Pourcentage', 'Percentage'));
    rowOf = (o) => [h('td', { class: 'num' }, formatNumber(o.votes)), percentCell(o.percent)];
  }
  const method = {
    plurality: t('Majorité simple', 'Plurality'),
    approval: t('Vote par approbation : un votant peut choisir plusieurs réponses, les pourcentages dépassent donc 100 % au total.',
      'Approval voting: a voter may pick several answers, so percentages add up to more than 100%.'),
    borda: t('Méthode de Borda : chaque rang rapporte des points.', 'Borda count: each rank earns points.'),
    majority_judgment: t('Jugement majoritaire : chaque réponse est classée par sa mention médiane.',
      'Majority judgment: each answer is ranked by its median grade.'),
  }[results.method];
  append(wrap, h('div', { class: 'table-scroll' }, h('table', null,
    h('caption', null, method || t('Résultats', 'Results')),
    h('thead', null, h('tr', null, head.map((text, i) => h('th', { scope: 'col', class: i >= 2 ? 'num' : null }, text)))),
    h('tbody', null, results.options.map((o) => h('tr', null,
      h('td', { class: 'num' }, String(o.rank)),
      h('th', { scope: 'row' }, o.text),
      rowOf(o)))))));
  return wrap;
}

/** A percentage as text, with a <meter> beside it for a quick visual comparison. */
function percentCell(percent) {
  const value = Number(percent) || 0;
  const text = `${formatNumber(Math.round(value * 10) / 10)} %`;
  return h('td', { class: 'num' },
    h('span', { class: 'meter-row' },
      // The meter repeats the figure, so it is hidden from assistive technology.
      h('meter', { min: '0', max: '100', value: String(Math.min(100, value)), 'aria-hidden': 'true' }),
      h('span', null, text)));
}
