// Contests and challenges: the staff list, the creation form, the moderation queue of entries,
// results and winners per category, closing, and the participants' data requests (RGPD).
//
// Routes: #/contests, #/contests?new=1, #/contests/:id.
// API: components/polls/src/contests.rs; shapes in crates/kiosque-domain/src/contests.rs.
// Entries come from the public: always written with textContent. The contest's rules are
// shown as their Markdown source (the console inserts no HTML from the API).

import { api } from '../api.js';
import { t, formatDateTime, formatNumber, toParisParts, fromParisParts, timeZoneLabel } from '../i18n.js';
import {
  h, field, showErrors, announce, confirmDialog, clearErrors, setFieldError, clear, pageHeader, loading, errorBox, errorMessage, empty, badge, busy, append, openDialog
} from '../ui.js';
import { drawModerationQueue, statusBadge } from '../moderation-queue.js';

const LICENCES = {
  'cc-by': 'CC BY 4.0',
  'cc-by-sa': 'CC BY-SA 4.0',
  'all-rights-reserved': () => t('Tous droits réservés', 'All rights reserved'),
};

const MAX_CATEGORIES = 12;
const SLUG = /^[a-z0-9-]{1,32}$/;

const licenceName = (code) => {
  const name = LICENCES[code];
  return typeof name === 'function' ? name() : name || code;
};

function toLocalInput(iso) {
  if (!iso) return '';
  const p = toParisParts(iso);
  return p.date ? `${p.date}T${p.time}` : '';
}

function fromLocalInput(value) {
  if (!value) return null;
  const [date, time] = value.split('T');
  return fromParisParts(date, time) || null;
}

/** "Moins de 12 ans" → "moins-de-12-ans": the category slug the API expects. */
function slugify(text) {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 32).replace(/-+$/, '');
}

/** Where a contest stands now, from its dates (the API does not say). */
function phase(contest, now = Date.now()) {
  const at = (iso) => (iso ? Date.parse(iso) : null);
  if (now < at(contest.submissions_open)) return ['upcoming', t('À venir', 'Upcoming')];
  if (now < at(contest.submissions_close)) return ['open', t('Participations ouvertes', 'Taking entries')];
  if (contest.public_vote && contest.voting_open && contest.voting_close) {
    if (now < at(contest.voting_open)) return ['scheduled', t('Avant le vote', 'Before the vote')];
    if (now < at(contest.voting_close)) return ['open', t('Vote en cours', 'Voting')];
  }
  return ['closed', t('Terminé', 'Over')];
}

export async function render(main, params, ctx) {
  if (params.id) return renderDetail(main, params.id, ctx);
  if (params.new !== undefined && ctx.can('edit')) return renderCreate(main, ctx);
  return renderList(main, ctx);
}

// ---- List ----------------------------------------------------------------------------------

async function renderList(main, ctx) {
  append(main, pageHeader(t('Concours', 'Contests'),
    ctx.can('edit') ? h('a', { href: '#/contests?new=1', class: 'button primary', 'data-testid': 'contest-new' },
      t('Nouveau concours', 'New contest')) : null));
  const placeholder = loading();
  main.append(placeholder);
  const tbody = h('tbody');
  const more = h('div', { class: 'actions' });
  const loadPage = async (page) => {
    const data = await api('GET', `/api/contests?page=${page}`);
    for (const c of data.contests) {
      const [kind, text] = phase(c);
      tbody.append(h('tr', { 'data-testid': 'contest-row' },
        h('th', { scope: 'row' }, h('a', { href: `#/contests/${encodeURIComponent(c.id)}` }, c.title)),
        h('td', null, badge(text, kind)),
        h('td', null, `${formatDateTime(c.submissions_open)} → ${formatDateTime(c.submissions_close)}`),
        h('td', null, c.categories.map((cat) => cat.name).join(', '))));
    }
    clear(more);
    if (data.next_page) {
      const next = h('button', { type: 'button', class: 'secondary' }, t('Afficher les suivants', 'Show more'));
      next.addEventListener('click', () => busy(next, async () => {
        const before = tbody.rows.length;
        await loadPage(data.next_page);
        const first = tbody.rows[before] && tbody.rows[before].querySelector('a');
        if (first) first.focus();
      }, { success: t('Concours suivants affichés', 'More contests shown') }));
      more.append(next);
    }
    return data.total;
  };
  const total = await loadPage(1);
  placeholder.remove();
  if (total) {
    main.append(h('div', { class: 'table-scroll' }, h('table', { 'data-testid': 'contest-list' },
      h('caption', { class: 'visually-hidden' }, t('Concours, du plus récent au plus ancien', 'Contests, newest first')),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, t('Concours', 'Contest')),
        h('th', { scope: 'col' }, t('Étape', 'Stage')),
        h('th', { scope: 'col' }, t('Participations', 'Entries')),
        h('th', { scope: 'col' }, t('Catégories', 'Categories')))),
      tbody)), more);
  } else {
    main.append(empty(t('Aucun concours pour l’instant.', 'No contest yet.')));
  }
  if (ctx.can('administer')) main.append(participantTools());
}

/**
 * RGPD requests for one participant, whatever the contest: export everything stored about
 * them, or erase it. Both are paged by the API (`more` / `next_from`); this follows the pages.
 */
function participantTools() {
  const section = h('section', { 'aria-labelledby': 'rgpd-title' },
    h('h2', { id: 'rgpd-title' }, t('Données d’un participant (RGPD)', 'A participant’s data (GDPR)')),
    h('p', null, t('Pour répondre à une demande d’accès ou d’effacement, saisissez l’adresse électronique donnée lors de la participation.',
      'To answer an access or erasure request, type the email address given when taking part.')));
  const email = h('input', { type: 'email', name: 'email', 'data-field': 'email', required: true, autocomplete: 'off' });
  const exportButton = h('button', { type: 'submit', class: 'secondary', 'data-testid': 'participant-export' },
    t('Exporter ses données', 'Export their data'));
  const eraseButton = h('button', { type: 'button', class: 'danger', 'data-testid': 'participant-erase' },
    t('Effacer ses données', 'Erase their data'));
  const output = h('div', { 'data-testid': 'participant-output' });
  const form = h('form', { class: 'form', novalidate: true },
    field(t('Adresse électronique', 'Email address'), email),
    h('div', { class: 'actions' }, exportButton, eraseButton));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    clear(output);
    await busy(exportButton, async () => {
      const entries = [];
      let from = 1;
      // Each page is bounded server-side; a participant has few entries, so few pages.
      for (;;) {
        const page = await api('POST', '/api/contests/participants/export', { email: email.value, from });
        entries.push(...page.entries);
        if (!page.more || !page.next_from) break;
        from = page.next_from;
      }
      const json = JSON.stringify({ email: email.value.trim().toLowerCase(), entries }, null, 2);
      const url = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
      output.append(h('p', { class: 'success-box', tabindex: '-1' },
        t(`${entries.length} participation(s) trouvée(s).`, `${entries.length} entry(ies) found.`), ' ',
        h('a', { href: url, download: 'participant-export.json' }, t('Télécharger l’export (JSON)', 'Download the export (JSON)'))));
      if (entries.length) {
        output.append(h('ul', null, entries.map((e) => h('li', null,
          e.contest_title || e.contest_id, ' — ',
          e.entry ? h('span', { dir: 'auto' }, e.entry.title) : t('(participation déjà effacée)', '(entry already erased)')))));
      }
      output.querySelector('p').focus();
    }, { success: t('Export prêt', 'Export ready'), onError: (error) => showErrors(form, error) });
  });

  eraseButton.addEventListener('click', async () => {
    clearErrors(form);
    clear(output);
    if (!email.value.trim()) {
      setFieldError(email, t('Saisissez une adresse.', 'Type an address.'));
      email.focus();
      return;
    }
    if (!await confirmDialog(t(`Effacer toutes les participations et coordonnées de ${email.value.trim()} ? C’est définitif.`,
      `Erase every entry and contact of ${email.value.trim()}? This cannot be undone.`),
    { danger: true, confirmLabel: t('Effacer', 'Erase'), testid: 'participant-erase-confirm' })) return;
    await busy(eraseButton, async () => {
      let erased = 0;
      let from;
      for (;;) {
        const body = from ? { email: email.value, from } : { email: email.value };
        const page = await api('POST', '/api/contests/participants/erase', body);
        erased += page.erased_entries;
        if (!page.more || !page.next_from) break;
        from = page.next_from;
      }
      output.append(h('p', { class: 'success-box', tabindex: '-1' },
        t(`${erased} participation(s) effacée(s).`, `${erased} entry(ies) erased.`)));
      output.querySelector('p').focus();
    }, { success: t('Données effacées', 'Data erased'), onError: (error) => showErrors(form, error) });
  });
  section.append(form, output);
  return section;
}

// ---- Creation ------------------------------------------------------------------------------

function renderCreate(main, ctx) {
  main.append(pageHeader(t('Nouveau concours', 'New contest')),
    h('p', null, h('a', { href: '#/contests' }, t('← Retour aux concours', '← Back to contests'))));

  const title = h('input', { type: 'text', name: 'title', 'data-field': 'title', required: true, maxlength: '150' });
  const rules = h('textarea', { name: 'rules', 'data-field': 'rules', rows: '10' });
  const prize = h('textarea', { name: 'prize', 'data-field': 'prize', rows: '3' });

  const categoryList = h('ol', { class: 'repeat-list', 'data-testid': 'contest-categories' });
  const addCategory = h('button', { type: 'button', class: 'secondary' }, t('Ajouter une catégorie', 'Add a category'));
  const renumber = () => {
    const rows = [...categoryList.children];
    rows.forEach((row, i) => {
      row.querySelector('[data-role="name"]').dataset.field = `categories[${i}].name`;
      row.querySelector('[data-role="slug"]').dataset.field = `categories[${i}].slug`;
      row.querySelector('legend').textContent = t(`Catégorie ${i + 1}`, `Category ${i + 1}`);
      const remove = row.querySelector('[data-role="remove"]');
      remove.textContent = t(`Retirer la catégorie ${i + 1}`, `Remove category ${i + 1}`);
      remove.disabled = rows.length <= 1;
    });
    addCategory.disabled = rows.length >= MAX_CATEGORIES;
  };
  const categoryRow = () => {
    const name = h('input', { type: 'text', 'data-role': 'name', required: true, maxlength: '60' });
    const slug = h('input', { type: 'text', 'data-role': 'slug', required: true, maxlength: '32', pattern: '[a-z0-9-]{1,32}' });
    // The slug follows the name until staff type one themselves.
    name.addEventListener('input', () => {
      if (!slug.dataset.touched) slug.value = slugify(name.value);
    });
    slug.addEventListener('input', () => { slug.dataset.touched = '1'; });
    const remove = h('button', { type: 'button', class: 'secondary small', 'data-role': 'remove' });
    const row = h('li', null, h('fieldset', null, h('legend'),
      field(t('Nom', 'Name'), name),
      field(t('Identifiant dans l’adresse', 'Identifier in the address'), slug, null,
        { hint: t('Minuscules, chiffres et tirets, par exemple « moins-de-12-ans ».', 'Lowercase letters, digits and hyphens, e.g. “under-12”.') }),
      remove));
    remove.addEventListener('click', () => {
      const next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      renumber();
      announce(t('Catégorie retirée', 'Category removed'));
      if (next) next.querySelector('[data-role="name"]').focus();
    });
    return row;
  };
  categoryList.append(categoryRow());
  renumber();
  addCategory.addEventListener('click', () => {
    const row = categoryRow();
    categoryList.append(row);
    renumber();
    row.querySelector('[data-role="name"]').focus();
  });

  const subOpen = h('input', { type: 'datetime-local', name: 'submissions_open', 'data-field': 'submissions_open', required: true });
  const subClose = h('input', { type: 'datetime-local', name: 'submissions_close', 'data-field': 'submissions_close', required: true });
  const publicVote = h('input', { type: 'checkbox', name: 'public_vote', 'data-field': 'public_vote' });
  const voteOpen = h('input', { type: 'datetime-local', name: 'voting_open', 'data-field': 'voting_open' });
  const voteClose = h('input', { type: 'datetime-local', name: 'voting_close', 'data-field': 'voting_close' });
  const jury = h('input', { type: 'checkbox', name: 'jury', 'data-field': 'jury', checked: true });
  const entryImage = h('select', { name: 'entry_image', 'data-field': 'entry_image', 'data-testid': 'contest-entry-image' },
    h('option', { value: 'none', selected: true }, t('Pas d’image (texte ou lien)', 'No image (text or link)')),
    h('option', { value: 'optional' }, t('Image facultative', 'Image optional')),
    h('option', { value: 'required' }, t('Image obligatoire (concours photo ou dessin)', 'Image required (photo or drawing contest)')));
  const voteDates = h('div', null,
    field(t('Début du vote', 'Voting opens'), voteOpen, null, { hint: t('Après la fin des participations.', 'After entries close.') }),
    field(t('Fin du vote', 'Voting closes'), voteClose));
  const syncVote = () => { voteDates.hidden = !publicVote.checked; };
  publicVote.addEventListener('change', syncVote);
  syncVote();

  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'contest-save' }, t('Créer le concours', 'Create the contest'));
  const form = h('form', { class: 'form', novalidate: true, 'data-testid': 'contest-form' },
    field(t('Titre', 'Title'), title),
    field(t('Règlement (Markdown)', 'Rules (Markdown)'), rules, null,
      { hint: t('Titres avec #, listes avec -, liens [texte](https://…).', 'Headings with #, lists with -, links [text](https://…).') }),
    field(t('Prix (facultatif)', 'Prize (optional)'), prize),
    field(t('Image des participations', 'Entries’ image'), entryImage, null,
      { hint: t('Les participants envoient une photo ou un dessin (10 Mo au plus) avec sa description ; les métadonnées sont retirées, l’image n’est publique qu’une fois la participation approuvée.',
        'Patrons send a photo or drawing (10 MB at most) with its description; metadata is removed, and the image is public only once the entry is approved.') }),
    h('fieldset', null, h('legend', null, t('Catégories', 'Categories')), categoryList, addCategory),
    h('fieldset', null, h('legend', null, t(`Participations (${timeZoneLabel()})`, `Entries (${timeZoneLabel()})`)),
      field(t('Ouverture', 'Open'), subOpen), field(t('Clôture', 'Close'), subClose)),
    h('fieldset', null, h('legend', null, t('Désignation des gagnants', 'How winners are chosen')),
      field(t('Par un jury', 'By a jury'), jury),
      field(t('Par un vote du public', 'By a public vote'), publicVote),
      voteDates),
    h('div', { class: 'actions' }, submit));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    // Checked here because a malformed slug fails the API's JSON parsing with a less precise message.
    for (const slug of categoryList.querySelectorAll('[data-role="slug"]')) {
      if (!SLUG.test(slug.value)) {
        setFieldError(slug, t('1 à 32 minuscules, chiffres ou tirets.', '1 to 32 lowercase letters, digits or hyphens.'));
        slug.focus();
        return;
      }
    }
    const dates = {};
    for (const input of [subOpen, subClose, ...(publicVote.checked ? [voteOpen, voteClose] : [])]) {
      const instant = fromLocalInput(input.value);
      if (!instant) {
        setFieldError(input, t('Date et heure requises.', 'Date and time required.'));
        input.focus();
        return;
      }
      dates[input.name] = instant;
    }
    const body = {
      title: title.value,
      rules: rules.value,
      categories: [...categoryList.children].map((row) => ({
        name: row.querySelector('[data-role="name"]').value,
        slug: row.querySelector('[data-role="slug"]').value,
      })),
      ...dates,
      public_vote: publicVote.checked,
      jury: jury.checked,
      entry_image: entryImage.value,
    };
    if (prize.value.trim()) body.prize = prize.value;
    await busy(submit, async () => {
      const contest = await api('POST', '/api/contests', body);
      announce(t('Concours créé', 'Contest created'));
      ctx.navigate(`#/contests/${encodeURIComponent(contest.id)}`);
    }, { onError: (error) => showErrors(form, error) });
  });
  main.append(form);
}

// ---- Detail --------------------------------------------------------------------------------

async function renderDetail(main, id, ctx) {
  const path = `/api/contests/${encodeURIComponent(id)}`;
  const placeholder = loading();
  main.append(placeholder);
  let contest = await api('GET', path);
  placeholder.remove();

  const alert = h('div', { class: 'error-box', role: 'alert', hidden: true, 'data-testid': 'contest-error' });
  const header = h('div');
  const queueArea = h('section', { 'aria-labelledby': 'entries-title' });
  const resultsArea = h('section', { 'aria-labelledby': 'results-title' });
  main.append(h('p', null, h('a', { href: '#/contests' }, t('← Retour aux concours', '← Back to contests'))),
    header, alert, queueArea, resultsArea);

  const categoryName = (slug) => {
    const found = contest.categories.find((c) => c.slug === slug);
    return found ? found.name : slug;
  };

  const drawHeader = () => {
    clear(header);
    const [kind, text] = phase(contest);
    const rows = [
      [t('Participations', 'Entries'), `${formatDateTime(contest.submissions_open)} → ${formatDateTime(contest.submissions_close)}`],
      contest.public_vote ? [t('Vote du public', 'Public vote'), `${formatDateTime(contest.voting_open)} → ${formatDateTime(contest.voting_close)}`] : null,
      [t('Jury', 'Jury'), contest.jury ? t('oui', 'yes') : t('non', 'no')],
      [t('Image des participations', 'Entries’ image'), (IMAGE_POLICY[contest.entry_image] || IMAGE_POLICY.none)()],
      [t('Catégories', 'Categories'), contest.categories.map((c) => `${c.name} (${c.slug})`).join(', ')],
      contest.prize ? [t('Prix', 'Prize'), h('span', { class: 'pre-wrap' }, contest.prize)] : null,
      [t('Créé le', 'Created on'), formatDateTime(contest.created_at)],
    ].filter(Boolean);
    header.append(pageHeader(contest.title), h('p', null, badge(text, kind)),
      h('dl', { class: 'meta-list' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])));
    if (contest.rules) {
      header.append(h('details', null, h('summary', null, t('Règlement (source Markdown)', 'Rules (Markdown source)')),
        h('pre', { class: 'pre-wrap' }, contest.rules)));
    }
    const actions = h('div', { class: 'actions' },
      h('a', { href: contest.url, 'data-testid': 'contest-public-link' }, t('Page publique', 'Public page')),
      h('a', { href: `${contest.url}/results` }, t('Page des résultats', 'Results page')));
    if (ctx.can('edit') && kind !== 'closed') {
      const close = h('button', { type: 'button', class: 'secondary', 'data-testid': 'contest-close' }, t('Clore maintenant', 'Close now'));
      close.addEventListener('click', async () => {
        if (!await confirmDialog(t('Clore ce concours maintenant ? Les participations et le vote s’arrêtent aussitôt.',
          'Close this contest now? Entries and voting stop at once.'), { confirmLabel: t('Clore', 'Close') })) return;
        await busy(close, async () => {
          alert.hidden = true;
          contest = await api('POST', `${path}/close`);
          drawHeader();
          header.querySelector('h1').focus();
          drawResults();
        }, { success: t('Concours clos', 'Contest closed'),
          onError: (error) => { alert.textContent = errorMessage(error); alert.hidden = false; } });
      });
      actions.append(close);
    }
    header.append(actions);
  };

  const drawResults = () => renderResults(resultsArea, path, contest, categoryName, ctx);
  drawHeader();
  // Approved entries feed the winners' choice and the results.
  await Promise.all([drawModerationQueue(queueArea, path, ctx, entriesQueue(categoryName, path, ctx), drawResults), drawResults()]);
}

const IMAGE_POLICY = {
  none: () => t('aucune', 'none'),
  optional: () => t('facultative', 'optional'),
  required: () => t('obligatoire', 'required'),
};

/**
 * An entry's image for moderators: the thumbnail (staff see it before approval), the
 * patron's alt text, and a dialog to correct it (`PUT …/entries/:seq/alt`, audited).
 */
function entryImage(entry, path, ctx) {
  const image = entry.image;
  const altText = h('span', { dir: 'auto', 'data-testid': `entry-alt-${entry.seq}` }, image.alt);
  const figure = h('figure', { class: 'entry-image' },
    // Decorative: the caption beside it gives the description.
    h('img', { src: image.thumb_url || `/media/${encodeURIComponent(image.medium)}/thumb.jpg`, alt: '', loading: 'lazy',
      width: '200' }),
    h('figcaption', null, h('strong', null, t('Description (texte alternatif) : ', 'Description (alt text): ')), altText));
  if (!ctx.can('moderate')) return figure;
  const alert = h('p', { class: 'error-box', role: 'alert', hidden: true });
  const edit = h('button', { type: 'button', class: 'secondary small', 'data-testid': `entry-alt-edit-${entry.seq}` },
    t('Corriger la description', 'Correct the description'));
  edit.addEventListener('click', async () => {
    const input = h('textarea', { name: 'alt', rows: '4', maxlength: '1500', required: true, dir: 'auto' });
    input.value = image.alt;
    const data = await openDialog({
      title: t(`Description de l’image n° ${entry.seq}`, `Description of image #${entry.seq}`),
      content: field(t('Texte alternatif', 'Alt text'), input, null,
        { hint: t('Ce que montre l’image, pour les personnes qui ne la voient pas.', 'What the image shows, for people who cannot see it.') }),
      submitLabel: t('Enregistrer', 'Save'),
      form: true,
      testid: 'alt-dialog',
    });
    if (!data) return;
    alert.hidden = true;
    await busy(edit, async () => {
      const updated = await api('PUT', `${path}/entries/${entry.seq}/alt`, { alt: String(data.get('alt') || '') });
      image.alt = updated.image ? updated.image.alt : image.alt;
      altText.textContent = image.alt;
    }, { success: t('Description corrigée', 'Description corrected'),
      onError: (error) => { alert.textContent = errorMessage(error); alert.hidden = false; } });
    // Once the button is enabled again (busy disables it): focus stays where it was.
    edit.focus();
  });
  figure.append(edit, alert);
  return figure;
}

/** The entries' moderation queue (`moderation-queue.js`), entries shown with their contact. */
function entriesQueue(categoryName, path, ctx) {
  return {
    itemsKey: 'entries',
    segment: 'entries',
    testid: 'entry',
    headingId: 'entries-title',
    heading: ['Participations à modérer', 'Entries to moderate'],
    filterLabel: ['Filtrer les participations', 'Filter entries'],
    none: ['Aucune participation en attente.', 'No entry waiting.'],
    noneReceived: ['Aucune participation reçue.', 'No entry received.'],
    received: (n) => [`${n} participation(s) reçue(s) au total.`, `${n} entry(ies) received in all.`],
    shown: (n) => [`${n} participation(s) affichée(s)`, `${n} entry(ies) shown`],
    named: (seq) => [`Participation n° ${seq}`, `Entry #${seq}`],
    testids: { pending: 'entry-filter-pending', all: 'entry-filter-all', list: 'entry-queue', more: 'entry-queue-more' },
    intro: h('p', { class: 'hint' }, t('Les adresses électroniques sont des données personnelles : ne les copiez nulle part.',
      'Email addresses are personal data: do not copy them anywhere.')),
    item: (entry) => ({
      title: [t(`N° ${entry.seq} : `, `#${entry.seq}: `), h('span', { dir: 'auto' }, entry.title), ' ', statusBadge(entry.status)],
      body: [
        h('p', { class: 'muted' }, t(`Catégorie : ${categoryName(entry.category)}`, `Category: ${categoryName(entry.category)}`),
          ' · ', h('span', { dir: 'auto' }, entry.display_name), ' · ', licenceName(entry.licence),
          ' · ', formatDateTime(entry.created_at)),
        entry.image ? entryImage(entry, path, ctx) : null,
        entry.text ? h('p', { class: 'moderation-text', dir: 'auto' }, entry.text) : null,
        // The link is shown as text with a plain link beside it: staff check where it goes before following it.
        entry.link ? h('p', null, t('Lien : ', 'Link: '), h('a', { href: entry.link, rel: 'noopener noreferrer nofollow', target: '_blank' },
          entry.link, h('span', { class: 'visually-hidden' }, t(' (nouvel onglet)', ' (new tab)')))) : null,
        // Contact emails reach administrators only: a moderator's queue has no `email` field.
        'email' in entry ? h('p', { class: 'muted' }, t('Contact : ', 'Contact: '), entry.email || t('effacé', 'erased')) : null,
        // A patron under 15: their parent's consent, declared in the form (administrators only, like the email).
        entry.parental_consent ? h('p', { class: 'muted' }, t('Moins de 15 ans, accord déclaré de : ', 'Under 15, consent declared by: '),
          h('span', { dir: 'auto' }, entry.parental_consent.parent_name), ' · ', formatDateTime(entry.parental_consent.declared_at)) : null,
      ],
    }),
    // The moderation answer is the entry without its contact: keep the one already shown.
    keep: (updated, entry) => ('email' in entry
      ? { ...updated, email: entry.email, parental_consent: entry.parental_consent } : updated),
  };
}

/** Results per category (winners; vote counts once voting is over) and the winners' forms. */
async function renderResults(area, path, contest, categoryName, ctx) {
  clear(area);
  area.append(h('h2', { id: 'results-title' }, t('Résultats et gagnants', 'Results and winners')));
  let results;
  try {
    results = await api('GET', `${path}/results`);
  } catch (error) {
    area.append(errorBox(error));
    return;
  }
  if (contest.public_vote && !results.voting_over) {
    area.append(h('p', { class: 'notice' }, t('Les votes du public seront affichés à la fin du vote, pour ne pas l’influencer.',
      'Public votes are shown once voting is over, so as not to sway it.')));
  }
  for (const cat of results.categories) {
    const slug = cat.category.slug;
    const section = h('section', { class: 'card', 'data-testid': `contest-results-${slug}` },
      h('h3', null, cat.category.name),
      h('ul', { class: 'figures' }, h('li', null, h('span', { class: 'figure-value' }, formatNumber(cat.approved)),
        h('span', { class: 'figure-label' }, t('participations approuvées', 'approved entries')))));
    section.append(h('h4', null, t('Gagnants', 'Winners')));
    section.append(cat.winners.length
      ? h('ol', null, cat.winners.map((e) => h('li', null, t(`n° ${e.seq} : `, `#${e.seq}: `), h('span', { dir: 'auto' }, e.title),
        ' — ', h('span', { dir: 'auto' }, e.display_name))))
      : h('p', { class: 'empty' }, t('Pas encore désignés.', 'Not chosen yet.')));
    if (cat.votes.length) {
      section.append(h('div', { class: 'table-scroll' }, h('table', null,
        h('caption', null, t('Les plus votées', 'Most voted')),
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('Participation', 'Entry')),
          h('th', { scope: 'col', class: 'num' }, t('Voix', 'Votes')))),
        h('tbody', null, cat.votes.map((v) => h('tr', null,
          h('th', { scope: 'row' }, t(`n° ${v.entry.seq} : `, `#${v.entry.seq}: `), h('span', { dir: 'auto' }, v.entry.title)),
          h('td', { class: 'num' }, formatNumber(v.votes))))))));
    }
    if (ctx.can('edit')) section.append(winnersForm(path, slug, cat, categoryName, () => renderResults(area, path, contest, categoryName, ctx)));
    area.append(section);
  }
}

/** Sets one category's winners: entry numbers, first prize first (empty clears them). */
function winnersForm(path, slug, cat, categoryName, refresh) {
  const input = h('input', { type: 'text', name: 'entries', 'data-field': 'entries', inputmode: 'numeric',
    'data-testid': `contest-winners-${slug}`, value: cat.winners.map((e) => e.seq).join(', ') });
  const submit = h('button', { type: 'submit', class: 'secondary', 'data-testid': `contest-winners-save-${slug}` },
    t('Enregistrer les gagnants', 'Save the winners'));
  const gallery = h('div');
  const details = h('details', null, h('summary', null, t('Voir les participations approuvées', 'See the approved entries')), gallery);
  details.addEventListener('toggle', async () => {
    if (!details.open || gallery.dataset.loaded) return;
    gallery.dataset.loaded = '1';
    gallery.append(loading());
    try {
      const data = await api('GET', `${path}/entries?category=${encodeURIComponent(slug)}`);
      clear(gallery);
      gallery.append(data.entries.length
        ? h('ul', null, data.entries.map((e) => h('li', null, t(`n° ${e.seq} : `, `#${e.seq}: `), h('span', { dir: 'auto' }, e.title),
          ' — ', h('span', { dir: 'auto' }, e.display_name))))
        : h('p', { class: 'empty' }, t('Aucune participation approuvée.', 'No approved entry.')));
      if (data.pages > 1) {
        gallery.append(h('p', { class: 'hint' }, t(`Première page sur ${data.pages} : la galerie publique montre les autres.`,
          `First page of ${data.pages}: the public gallery shows the others.`)));
      }
    } catch (error) {
      clear(gallery);
      gallery.append(errorBox(error));
    }
  });
  const form = h('form', { class: 'form', novalidate: true },
    field(t(`Numéros des gagnants, « ${categoryName(slug)} »`, `Winners’ numbers, “${categoryName(slug)}”`), input, null,
      { hint: t('Séparés par des virgules, premier prix d’abord ; 10 au plus. Vide : aucun gagnant.',
        'Separated by commas, first prize first; at most 10. Empty: no winner.') }),
    details, h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const parts = input.value.split(/[\s,;]+/).filter(Boolean);
    if (parts.some((p) => !/^\d+$/.test(p))) {
      setFieldError(input, t('Seulement des numéros de participation.', 'Only entry numbers.'));
      input.focus();
      return;
    }
    await busy(submit, async () => {
      await api('POST', `${path}/winners`, { category: slug, entries: parts.map(Number) });
      await refresh();
      const again = document.querySelector(`[data-testid="contest-winners-${slug}"]`);
      if (again) again.focus();
    }, { success: t('Gagnants enregistrés', 'Winners saved'), onError: (error) => showErrors(form, error) });
  });
  return form;
}
