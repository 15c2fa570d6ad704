// Showcases (vitrines): music playlists, book extracts, film picks and virtual exhibitions.
// The staff list, creation, the content form, items (add, edit, remove, reorder by drag and
// drop or by keyboard), publication now or at a date, and featuring on the home page.
//
// Routes: #/showcases, #/showcases?new=1, #/showcases/:id.
// API: components/showcases/src/api.rs; the model and request shapes are in
// crates/kiosque-domain/src/showcases/model.rs. Error messages start with the JSON path of the
// field at fault ("items[2].images[0].alt: ..."); every input carries that path in data-field
// so showErrors() can put the message beside it.
//
// Items have no id in the API, only a position; the console gives each one a local key so
// that focus, drag and drop and queued requests follow the item, not its position.

import { api } from '../api.js';
import { t, formatDateTime, TIME_ZONE, timeZoneLabel } from '../i18n.js';
import {
  h, field, showErrors, announce, confirmDialog, clearErrors, setFieldError, clear, pageHeader,
  loading, errorMessage, empty, badge, busy, uid, append
} from '../ui.js';
import { libraryImage } from '../media-picker.js';

const KINDS = {
  playlist: { type: 'track', name: () => t('Playlist', 'Playlist'), add: () => t('Ajouter un morceau', 'Add a track'), one: () => t('morceau', 'track') },
  book_extracts: { type: 'book', name: () => t('Extraits de livres', 'Book extracts'), add: () => t('Ajouter un livre', 'Add a book'), one: () => t('livre', 'book') },
  film_picks: { type: 'film', name: () => t('Sélection de films', 'Film picks'), add: () => t('Ajouter un film', 'Add a film'), one: () => t('film', 'film') },
  exhibition: { type: 'room', name: () => t('Exposition virtuelle', 'Virtual exhibition'), add: () => t('Ajouter une salle', 'Add a room'), one: () => t('salle', 'room') },
};

const VISIBILITY = {
  draft: () => t('Brouillon', 'Draft'),
  scheduled: () => t('Programmée', 'Scheduled'),
  published: () => t('Publiée', 'Published'),
};

const MAX_ITEMS = 60;
const MAX_IMAGES_PER_ROOM = 24;

const kindName = (kind) => (KINDS[kind] ? KINDS[kind].name() : kind);

export async function render(main, params, ctx) {
  if (params.id) return renderDetail(main, params.id, ctx);
  if (params.new !== undefined && ctx.can('edit')) return renderCreate(main, ctx);
  return renderList(main, ctx);
}

// ---- List ----------------------------------------------------------------------------------

async function renderList(main, ctx) {
  append(main, pageHeader(t('Vitrines', 'Showcases'),
    ctx.can('edit') ? h('a', { href: '#/showcases?new=1', class: 'button primary', 'data-testid': 'showcase-new' },
      t('Nouvelle vitrine', 'New showcase')) : null));
  const placeholder = loading();
  main.append(placeholder);
  const tbody = h('tbody');
  const more = h('div', { class: 'actions' });
  const loadPage = async (page) => {
    const data = await api('GET', page ? `/api/showcases?page=${page}` : '/api/showcases');
    for (const s of data.showcases) {
      tbody.append(h('tr', { 'data-testid': 'showcase-row' },
        h('th', { scope: 'row' }, h('a', { href: `#/showcases/${encodeURIComponent(s.id)}` }, s.title)),
        h('td', null, kindName(s.kind)),
        h('td', { class: 'num' }, String(s.items)),
        h('td', null, badge(VISIBILITY[s.visibility] ? VISIBILITY[s.visibility]() : s.visibility, s.visibility),
          s.featured ? [' ', badge(t('À la une', 'Featured'), 'featured')] : null),
        h('td', null, formatDateTime(s.updated_at))));
    }
    clear(more);
    if (data.next_page) {
      const next = h('button', { type: 'button', class: 'secondary' }, t('Afficher les suivantes', 'Show more'));
      next.addEventListener('click', () => busy(next, async () => {
        const before = tbody.rows.length;
        await loadPage(data.next_page);
        const first = tbody.rows[before] && tbody.rows[before].querySelector('a');
        if (first) first.focus();
      }, { success: t('Vitrines suivantes affichées', 'More showcases shown') }));
      more.append(next);
    }
    return data.showcases.length;
  };
  const count = await loadPage(null);
  placeholder.remove();
  if (!count) {
    main.append(empty(t('Aucune vitrine pour l’instant.', 'No showcase yet.')));
    return;
  }
  main.append(h('div', { class: 'table-scroll' }, h('table', { 'data-testid': 'showcase-list' },
    h('caption', { class: 'visually-hidden' }, t('Vitrines, de la plus récente à la plus ancienne', 'Showcases, newest first')),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, t('Titre', 'Title')),
      h('th', { scope: 'col' }, t('Type', 'Kind')),
      h('th', { scope: 'col', class: 'num' }, t('Éléments', 'Items')),
      h('th', { scope: 'col' }, t('État', 'State')),
      h('th', { scope: 'col' }, t('Modifiée le', 'Updated on')))),
    tbody)), more);
}

// ---- Form building blocks --------------------------------------------------------------------
//
// Inputs carry `data-rel`, their path relative to what they describe ("title", "cover.alt",
// "images[1].url"); `setPaths(container, prefix)` turns it into the API's full path in
// `data-field` just before sending, because an item's position can change while its form is open.

function setPaths(container, prefix) {
  for (const input of container.querySelectorAll('[data-rel]')) {
    input.dataset.field = prefix ? `${prefix}.${input.dataset.rel}` : input.dataset.rel;
  }
}

/** A value or undefined when blank, so JSON.stringify leaves the key out. */
const opt = (value) => {
  const v = String(value ?? '').trim();
  return v ? v : undefined;
};

/** An error found before sending: shown beside the input, and the send stops. */
class LocalError extends Error {
  constructor(input, message) {
    super(message);
    this.input = input;
  }
}

function whole(input) {
  const raw = input.value.trim();
  if (!raw) return undefined;
  if (!/^-?\d+$/.test(raw)) throw new LocalError(input, t('Un nombre entier est attendu.', 'A whole number is expected.'));
  return Number(raw);
}

/** "3:15" or "195" (seconds) → 195. */
function duration(input) {
  const raw = input.value.trim();
  if (!raw) return undefined;
  const clock = /^(\d+):([0-5]\d)$/.exec(raw);
  if (clock) return Number(clock[1]) * 60 + Number(clock[2]);
  if (/^\d+$/.test(raw)) return Number(raw);
  throw new LocalError(input, t('Durée en minutes:secondes, par exemple 3:15.', 'Duration as minutes:seconds, e.g. 3:15.'));
}

function formatDuration(secs) {
  if (secs === undefined || secs === null) return '';
  return `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, '0')}`;
}

function textInput(rel, value, attrs = {}) {
  return h('input', { type: 'text', 'data-rel': rel, value: value ?? '', ...attrs });
}

function textArea(rel, value, attrs = {}) {
  const area = h('textarea', { 'data-rel': rel, rows: '4', ...attrs });
  area.value = value ?? '';
  return area;
}

/**
 * An image placement (cover, poster, a room's picture): address, intrinsic size and the
 * alternative text that pages require. `rel` is its path ("cover", "images[2]").
 * Returns {element, read(), setRel(rel)}; read() gives the ImageRequest or undefined when blank.
 */
function imageFields(rel, placement, { legend, extended = false, optional = true }) {
  const p = placement || {};
  const img = p.image || {};
  const inputs = {
    url: h('input', { type: 'url', value: img.url || '' }),
    // A library image's size is the library's (answered with it), not an address's to edit.
    width: h('input', { type: 'number', min: '1', max: '20000', value: img.url && img.width ? String(img.width) : '' }),
    height: h('input', { type: 'number', min: '1', max: '20000', value: img.url && img.height ? String(img.height) : '' }),
    alt: h('input', { type: 'text', maxlength: '500', value: p.alt || '' }),
    ...(extended ? {
      title: h('input', { type: 'text', maxlength: '200', value: p.title || '' }),
      caption: textArea('', p.caption, { rows: '2', maxlength: '1000' }),
    } : {}),
    credit: h('input', { type: 'text', maxlength: '200', value: p.credit || '' }),
    licence: h('input', { type: 'text', maxlength: '200', value: p.licence || '' }),
  };
  const setRel = (base) => {
    for (const [key, input] of Object.entries(inputs)) input.dataset.rel = `${base}.${key}`;
  };
  setRel(rel);
  const labels = {
    url: t('Adresse de l’image (https)', 'Image address (https)'),
    width: t('Largeur (pixels)', 'Width (pixels)'),
    height: t('Hauteur (pixels)', 'Height (pixels)'),
    alt: t('Texte alternatif', 'Text alternative'),
    title: t('Titre de l’œuvre', 'Title of the work'),
    caption: t('Légende', 'Caption'),
    credit: t('Crédit', 'Credit'),
    licence: t('Licence', 'Licence'),
  };
  const hints = {
    width: t('Dimensions du fichier d’origine : la page réserve la place avant le chargement.',
      'The original file’s size: the page keeps room for it while it loads.'),
    alt: t('Obligatoire : ce que montre l’image, pour qui ne la voit pas.', 'Required: what the image shows, for people who cannot see it.'),
  };
  const wrappers = Object.fromEntries(Object.entries(inputs).map(([key, input]) =>
    [key, field(labels[key], input, null, hints[key] ? { hint: hints[key] } : {})]));
  // Or a medium of the library: it replaces the address and size, which the server reads
  // from the library; the alt text and the rest stay this placement's.
  const library = libraryImage({
    label: legend || t('Image', 'Image'),
    alt: inputs.alt,
    urlParts: [wrappers.url, wrappers.width, wrappers.height],
    urlInput: inputs.url,
    medium: img.medium || null,
    testid: `image-${rel.replace(/[^\w]+/g, '-')}`,
  });
  const setAllRels = (base) => {
    setRel(base);
    library.box.dataset.rel = `${base}.medium`;
  };
  setAllRels(rel);
  const legendEl = h('legend', null, legend);
  const element = h('fieldset', { class: 'image-fields' }, legendEl,
    optional ? h('p', { class: 'hint' }, t('Facultative : laissez l’adresse vide pour ne pas en mettre.', 'Optional: leave the address empty for none.')) : null,
    library.element,
    Object.values(wrappers));
  const read = () => {
    const medium = library.mediumId();
    const blank = !medium && Object.values(inputs).every((input) => !input.value.trim());
    if (blank && optional) return undefined;
    const out = medium
      ? { medium, alt: opt(inputs.alt.value) }
      : {
        url: inputs.url.value.trim(),
        width: whole(inputs.width) ?? 0,
        height: whole(inputs.height) ?? 0,
        alt: opt(inputs.alt.value),
      };
    for (const key of ['title', 'caption', 'credit', 'licence']) {
      if (inputs[key]) out[key] = opt(inputs[key].value);
    }
    return out;
  };
  return { element, read, setRel: setAllRels };
}

/** The request shape (ImageRequest) of a stored placement, for a PUT that resends it. */
function placementRequest(p) {
  if (!p) return undefined;
  const source = p.image.medium
    ? { medium: p.image.medium }
    : { url: p.image.url, width: p.image.width, height: p.image.height };
  return { ...source, alt: p.alt, title: p.title, caption: p.caption, credit: p.credit, licence: p.licence };
}

/** The request shape (ItemRequest) of a stored item: the same keys, images flattened. */
function itemRequest(item) {
  const out = { ...item };
  if (item.cover) out.cover = placementRequest(item.cover);
  if (item.poster) out.poster = placementRequest(item.poster);
  if (item.images) out.images = item.images.map(placementRequest);
  return out;
}

/** The line under an item's title in the list. */
function itemSubtitle(item) {
  switch (item.type) {
    case 'track': return [item.artist, item.album, item.duration_secs ? formatDuration(item.duration_secs) : null].filter(Boolean).join(' · ');
    case 'book': return [(item.authors || []).join(', '), item.year].filter(Boolean).join(' · ');
    case 'film': return [item.director, item.year].filter(Boolean).join(' · ');
    case 'room': return t(`${item.images.length} image(s)`, `${item.images.length} image(s)`);
    default: return '';
  }
}

/**
 * The fields of one item of `type`, filled from `item` (or blank). Returns {element, read()};
 * read() builds the ItemRequest or throws LocalError.
 */
function itemFields(type, item) {
  const it = item || {};
  const L = {
    title: t('Titre', 'Title'),
    catalogue_url: t('Notice au catalogue (https)', 'Catalogue record (https)'),
    year: t('Année', 'Year'),
    note: t('Note de l’équipe', 'Staff note'),
  };
  if (type === 'track') {
    const f = {
      title: textInput('title', it.title, { required: true, maxlength: '200' }),
      artist: textInput('artist', it.artist, { required: true, maxlength: '200' }),
      album: textInput('album', it.album, { maxlength: '200' }),
      duration_secs: textInput('duration_secs', formatDuration(it.duration_secs), { inputmode: 'numeric' }),
      year: textInput('year', it.year, { inputmode: 'numeric' }),
      catalogue_url: h('input', { type: 'url', 'data-rel': 'catalogue_url', value: it.catalogue_url || '' }),
      streaming_url: h('input', { type: 'url', 'data-rel': 'streaming_url', value: it.streaming_url || '' }),
      sample_url: h('input', { type: 'url', 'data-rel': 'sample_url', value: it.sample_url || '' }),
    };
    return {
      element: h('div', null,
        field(L.title, f.title), field(t('Artiste', 'Artist'), f.artist), field(t('Album', 'Album'), f.album),
        field(t('Durée', 'Duration'), f.duration_secs, null, { hint: t('minutes:secondes, par exemple 3:15', 'minutes:seconds, e.g. 3:15') }),
        field(L.year, f.year), field(L.catalogue_url, f.catalogue_url),
        field(t('Écoute en ligne (https)', 'Streaming (https)'), f.streaming_url),
        field(t('Extrait sonore (https)', 'Audio sample (https)'), f.sample_url)),
      read: () => ({
        type, title: f.title.value, artist: f.artist.value, album: opt(f.album.value),
        duration_secs: duration(f.duration_secs), year: whole(f.year),
        catalogue_url: opt(f.catalogue_url.value), streaming_url: opt(f.streaming_url.value), sample_url: opt(f.sample_url.value),
      }),
    };
  }
  if (type === 'book') {
    const f = {
      title: textInput('title', it.title, { required: true, maxlength: '200' }),
      authors: textArea('authors', (it.authors || []).join('\n'), { rows: '2' }),
      publisher: textInput('publisher', it.publisher, { maxlength: '200' }),
      year: textInput('year', it.year, { inputmode: 'numeric' }),
      isbn: textInput('isbn', it.isbn, { inputmode: 'numeric' }),
      extract: textArea('extract', it.extract, { required: true, rows: '8', maxlength: '6000' }),
      note: textArea('note', it.note, { maxlength: '2000' }),
      catalogue_url: h('input', { type: 'url', 'data-rel': 'catalogue_url', value: it.catalogue_url || '' }),
    };
    const cover = imageFields('cover', it.cover, { legend: t('Couverture', 'Cover') });
    return {
      element: h('div', null,
        field(L.title, f.title),
        field(t('Auteurs et autrices', 'Authors'), f.authors, null, { hint: t('Un par ligne, 10 au plus.', 'One per line, at most 10.') }),
        field(t('Éditeur', 'Publisher'), f.publisher), field(L.year, f.year),
        field(t('ISBN-13', 'ISBN-13'), f.isbn, null, { hint: t('Tirets et espaces acceptés.', 'Hyphens and spaces allowed.') }),
        field(t('Extrait', 'Extract'), f.extract), field(L.note, f.note), cover.element, field(L.catalogue_url, f.catalogue_url)),
      read: () => ({
        type, title: f.title.value,
        authors: f.authors.value.split('\n').map((a) => a.trim()).filter(Boolean),
        publisher: opt(f.publisher.value), year: whole(f.year), isbn: opt(f.isbn.value),
        extract: f.extract.value, note: opt(f.note.value), cover: cover.read(), catalogue_url: opt(f.catalogue_url.value),
      }),
    };
  }
  if (type === 'film') {
    const f = {
      title: textInput('title', it.title, { required: true, maxlength: '200' }),
      director: textInput('director', it.director, { maxlength: '200' }),
      year: textInput('year', it.year, { inputmode: 'numeric' }),
      duration_minutes: textInput('duration_minutes', it.duration_minutes, { inputmode: 'numeric' }),
      audience: textInput('audience', it.audience, { maxlength: '60' }),
      note: textArea('note', it.note, { maxlength: '2000' }),
      trailer_url: h('input', { type: 'url', 'data-rel': 'trailer_url', value: it.trailer_url || '' }),
      catalogue_url: h('input', { type: 'url', 'data-rel': 'catalogue_url', value: it.catalogue_url || '' }),
    };
    const poster = imageFields('poster', it.poster, { legend: t('Affiche', 'Poster') });
    return {
      element: h('div', null,
        field(L.title, f.title), field(t('Réalisation', 'Director'), f.director), field(L.year, f.year),
        field(t('Durée (minutes)', 'Length (minutes)'), f.duration_minutes),
        field(t('Public', 'Audience rating'), f.audience, null, { hint: t('Par exemple « Tous publics » ou « -12 ».', 'E.g. “All audiences” or “PG-13”.') }),
        field(L.note, f.note), field(t('Bande-annonce (https)', 'Trailer (https)'), f.trailer_url), poster.element,
        field(L.catalogue_url, f.catalogue_url)),
      read: () => ({
        type, title: f.title.value, director: opt(f.director.value), year: whole(f.year),
        duration_minutes: whole(f.duration_minutes), audience: opt(f.audience.value), note: opt(f.note.value),
        trailer_url: opt(f.trailer_url.value), poster: poster.read(), catalogue_url: opt(f.catalogue_url.value),
      }),
    };
  }
  // A room: a title, an introduction and an ordered wall of images.
  const title = textInput('title', it.title, { required: true, maxlength: '200' });
  const introduction = textArea('introduction', it.introduction, { rows: '5', maxlength: '10000' });
  const list = h('ol', { class: 'repeat-list' });
  const groups = [];
  const addImage = h('button', { type: 'button', class: 'secondary' }, t('Ajouter une image', 'Add an image'));
  const renumber = () => {
    groups.forEach((g, i) => {
      g.setRel(`images[${i}]`);
      g.legend.textContent = t(`Image ${i + 1}`, `Image ${i + 1}`);
      g.remove.textContent = t(`Retirer l’image ${i + 1}`, `Remove image ${i + 1}`);
    });
    addImage.disabled = groups.length >= MAX_IMAGES_PER_ROOM;
  };
  const addGroup = (placement) => {
    const g = imageFields(`images[${groups.length}]`, placement, { legend: '', extended: true, optional: false });
    g.legend = g.element.querySelector('legend');
    g.remove = h('button', { type: 'button', class: 'secondary small' });
    g.element.append(g.remove);
    const li = h('li', null, g.element);
    g.remove.addEventListener('click', () => {
      const at = groups.indexOf(g);
      groups.splice(at, 1);
      li.remove();
      renumber();
      announce(t('Image retirée', 'Image removed'));
      const neighbour = groups[at] || groups[at - 1];
      (neighbour ? neighbour.element.querySelector('input') : addImage).focus();
    });
    groups.push(g);
    list.append(li);
    renumber();
    return g;
  };
  for (const placement of it.images || []) addGroup(placement);
  addImage.addEventListener('click', () => addGroup(null).element.querySelector('input').focus());
  return {
    element: h('div', null,
      field(L.title, title),
      field(t('Introduction (Markdown)', 'Introduction (Markdown)'), introduction),
      h('fieldset', null, h('legend', null, t('Images de la salle', 'Images of the room')), list, addImage)),
    read: () => ({ type, title: title.value, introduction: introduction.value, images: groups.map((g) => g.read()) }),
  };
}

/**
 * The showcase's own fields (kind, texts, cover). `showcase` null for a new one; `hasItems`
 * locks the kind, since items must match it.
 */
function contentFields(showcase, hasItems = false) {
  const kind = h('select', { 'data-rel': 'kind', disabled: hasItems },
    Object.keys(KINDS).map((key) => h('option', { value: key, selected: showcase ? showcase.kind === key : key === 'playlist' }, kindName(key))));
  const title = textInput('title', showcase && showcase.title, { required: true, maxlength: '200' });
  const summary = textArea('summary', showcase && showcase.summary, { rows: '3', maxlength: '500' });
  const introduction = textArea('introduction', showcase && showcase.introduction, { rows: '8', maxlength: '10000' });
  const cover = imageFields('cover', showcase && showcase.cover, { legend: t('Image de couverture', 'Cover image') });
  const element = h('div', null,
    field(t('Type', 'Kind'), kind, null, hasItems
      ? { hint: t('Le type ne change que sur une vitrine vide.', 'The kind can only change while the showcase is empty.') } : {}),
    field(t('Titre', 'Title'), title),
    field(t('Résumé', 'Summary'), summary, null, { hint: t('500 caractères au plus ; montré dans les listes et les flux.', 'At most 500 characters; shown in lists and feeds.') }),
    field(t('Introduction (Markdown)', 'Introduction (Markdown)'), introduction),
    cover.element);
  setPaths(element, '');
  const read = () => ({ kind: kind.value, title: title.value, summary: summary.value, introduction: introduction.value, cover: cover.read() });
  return { element, read };
}

/** Runs `build()` and shows a LocalError beside its input; returns undefined then. */
function readOrFlag(build) {
  try {
    return build();
  } catch (error) {
    if (!(error instanceof LocalError)) throw error;
    setFieldError(error.input, error.message);
    error.input.focus();
    return undefined;
  }
}

// ---- Creation ------------------------------------------------------------------------------

function renderCreate(main, ctx) {
  main.append(pageHeader(t('Nouvelle vitrine', 'New showcase')),
    h('p', null, h('a', { href: '#/showcases' }, t('← Retour aux vitrines', '← Back to showcases'))),
    h('p', null, t('Créez la vitrine, puis ajoutez ses éléments ; elle reste en brouillon jusqu’à sa publication.',
      'Create the showcase, then add its items; it stays a draft until published.')));
  const content = contentFields(null);
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'showcase-save' }, t('Créer la vitrine', 'Create the showcase'));
  const form = h('form', { class: 'form', novalidate: true, 'data-testid': 'showcase-form' }, content.element, h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = readOrFlag(content.read);
    if (!body) return;
    await busy(submit, async () => {
      const s = await api('POST', '/api/showcases', { ...body, items: [] });
      announce(t('Vitrine créée', 'Showcase created'));
      ctx.navigate(`#/showcases/${encodeURIComponent(s.id)}`);
    }, { onError: (error) => showErrors(form, error) });
  });
  main.append(form);
}

// ---- Detail --------------------------------------------------------------------------------

async function renderDetail(main, id, ctx) {
  const path = `/api/showcases/${encodeURIComponent(id)}`;
  const placeholder = loading();
  main.append(placeholder);
  let showcase = await api('GET', path);
  placeholder.remove();
  const canEdit = ctx.can('edit');

  // Item state. `confirmed` is the order the server holds, `local` the order on screen; both
  // hold the same wrapper objects {key, data}. Moves change `local` at once and a queued
  // request brings the server in line (see syncOrder).
  let nextKey = 0;
  const wrap = (data) => ({ key: `i${nextKey++}`, data });
  let confirmed = showcase.items.map(wrap);
  let local = confirmed.slice();

  // Every request that touches items runs in this queue, one after the other, so each one
  // computes its item indexes from the order the server holds at that moment.
  let chain = Promise.resolve();
  const enqueue = (task) => {
    const run = chain.then(task);
    chain = run.catch(() => {});
    return run;
  };

  const alert = h('div', { class: 'error-box', role: 'alert', hidden: true, 'data-testid': 'showcase-error' });
  const showAlert = (error) => { alert.textContent = errorMessage(error); alert.hidden = false; };
  const header = h('div');
  const publication = h('section', { 'aria-labelledby': 'publication-title' });
  const itemsSection = h('section', { 'aria-labelledby': 'items-title' });
  const contentSection = h('section', { 'aria-labelledby': 'content-title' });
  const dangerSection = h('section', { 'aria-labelledby': 'danger-title' });
  main.append(h('p', null, h('a', { href: '#/showcases' }, t('← Retour aux vitrines', '← Back to showcases'))),
    header, alert, publication, itemsSection, contentSection, dangerSection);

  /**
   * Takes a showcase answered by the API after `confirmed` was updated with the change the
   * request made. When the server's items are not the ones expected (someone else changed
   * them meanwhile), its list wins: new keys, and moves not yet sent are dropped.
   * Returns whether the items were as expected.
   */
  const reconcile = (s) => {
    showcase = s;
    const expected = s.items.length === confirmed.length
      && s.items.every((item, i) => item.type === confirmed[i].data.type && item.title === confirmed[i].data.title);
    if (expected) {
      s.items.forEach((item, i) => { confirmed[i].data = item; });
      return true;
    }
    confirmed = s.items.map(wrap);
    local = confirmed.slice();
    showAlert(new Error(t('La vitrine a été modifiée ailleurs : la liste a été rechargée.',
      'The showcase was changed elsewhere: the list was reloaded.')));
    return false;
  };

  // ---- Header and publication ----

  const drawHeader = () => {
    clear(header);
    append(header, pageHeader(showcase.title),
      h('p', null, kindName(showcase.kind), ' ',
        badge(VISIBILITY[showcase.visibility] ? VISIBILITY[showcase.visibility]() : showcase.visibility, showcase.visibility),
        showcase.featured ? [' ', badge(t('À la une', 'Featured'), 'featured')] : null));
  };

  const drawPublication = () => {
    clear(publication);
    publication.append(h('h2', { id: 'publication-title' }, t('Publication', 'Publication')));
    const state = {
      draft: t('Brouillon : invisible du public.', 'Draft: hidden from the public.'),
      scheduled: t(`Programmée : visible à partir du ${formatDateTime(showcase.published_at)}.`,
        `Scheduled: visible from ${formatDateTime(showcase.published_at)}.`),
      published: t(`Publiée depuis le ${formatDateTime(showcase.published_at)}.`, `Published since ${formatDateTime(showcase.published_at)}.`),
    }[showcase.visibility];
    publication.append(h('p', { 'data-testid': 'showcase-visibility' }, state),
      h('p', null, showcase.featured ? t('Mise en avant sur la page d’accueil.', 'Featured on the home page.')
        : t('Pas mise en avant sur la page d’accueil.', 'Not featured on the home page.')));
    const links = h('ul', { class: 'inline-list' });
    if (showcase.visibility === 'published') {
      links.append(h('li', null, h('a', { href: showcase.url, 'data-testid': 'showcase-public-link' }, t('Page publique', 'Public page'))));
    }
    publication.append(links);
    if (!canEdit) return;

    const act = (button, request, success, focusTestid) => busy(button, async () => {
      alert.hidden = true;
      const s = await request();
      // Publication answers carry the whole showcase; only the publication fields are taken
      // here so a move still being saved is not disturbed.
      showcase = { ...showcase, published_at: s.published_at, featured: s.featured, visibility: s.visibility };
      drawHeader();
      drawPublication();
      const again = publication.querySelector(`[data-testid="${focusTestid}"]`) || publication.querySelector('h2');
      if (again.tagName === 'H2') again.setAttribute('tabindex', '-1');
      again.focus();
    }, { success, onError: showAlert });

    const buttons = h('div', { class: 'actions' });
    if (showcase.visibility !== 'published') {
      const now = h('button', { type: 'button', class: 'primary', 'data-testid': 'showcase-publish' }, t('Publier maintenant', 'Publish now'));
      now.addEventListener('click', () => act(now, () => api('POST', `${path}/publish`, {}), t('Vitrine publiée', 'Showcase published'), 'showcase-unpublish'));
      buttons.append(now);
    }
    if (showcase.visibility !== 'draft') {
      const off = h('button', { type: 'button', class: 'secondary', 'data-testid': 'showcase-unpublish' }, t('Dépublier', 'Unpublish'));
      off.addEventListener('click', async () => {
        if (!await confirmDialog(t('Dépublier cette vitrine ? Sa page ne sera plus visible du public.', 'Unpublish this showcase? Its page will no longer be public.'),
          { confirmLabel: t('Dépublier', 'Unpublish') })) return;
        await act(off, () => api('POST', `${path}/unpublish`), t('Vitrine dépubliée', 'Showcase unpublished'), 'showcase-publish');
      });
      buttons.append(off);
    }
    const feature = h('button', { type: 'button', class: 'secondary', 'data-testid': 'showcase-feature', 'aria-pressed': String(showcase.featured) },
      t('Mettre à la une', 'Feature on the home page'));
    feature.addEventListener('click', () => act(feature, () => api('POST', `${path}/feature`, { featured: !showcase.featured }),
      showcase.featured ? t('Retirée de la une', 'No longer featured') : t('Mise à la une', 'Featured'), 'showcase-feature'));
    buttons.append(feature);
    publication.append(buttons);

    // Scheduling: a wall-clock time in the library's zone; the API converts it with the zone given.
    const at = h('input', { type: 'datetime-local', name: 'at', 'data-field': 'at', required: true });
    const schedule = h('button', { type: 'submit', class: 'secondary', 'data-testid': 'showcase-schedule' }, t('Programmer', 'Schedule'));
    const form = h('form', { class: 'form', novalidate: true },
      field(t(`Publier à une date (${timeZoneLabel()})`, `Publish at a date (${timeZoneLabel()})`), at), h('div', { class: 'actions' }, schedule));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(form);
      if (!at.value) {
        setFieldError(at, t('Choisissez une date et une heure.', 'Choose a date and a time.'));
        at.focus();
        return;
      }
      await busy(schedule, async () => {
        const s = await api('POST', `${path}/publish`, { at: at.value, time_zone: TIME_ZONE });
        showcase = { ...showcase, published_at: s.published_at, featured: s.featured, visibility: s.visibility };
        drawHeader();
        drawPublication();
        publication.querySelector('[data-testid="showcase-visibility"]').setAttribute('tabindex', '-1');
        publication.querySelector('[data-testid="showcase-visibility"]').focus();
      }, { success: t('Publication programmée', 'Publication scheduled'), onError: (error) => showErrors(form, error) });
    });
    publication.append(form);

    const snippet = h('textarea', { readonly: true, rows: '3', class: 'code' });
    snippet.value = showcase.embed_html;
    publication.append(h('details', null, h('summary', null, t('Intégrer sur un autre site', 'Embed on another site')),
      field(t('Code à coller', 'Code to paste'), snippet)));
  };

  // ---- Items: list, reorder, add, edit, remove ----

  const kind = () => KINDS[showcase.kind] || KINDS.playlist;
  const helpId = uid('reorder-help');
  const itemsHeading = h('h2', { id: 'items-title', tabindex: '-1' });
  // data-state: idle (nothing moved yet), saving, saved, error; tests wait for "saved".
  const orderStatus = h('p', { class: 'order-status', 'data-testid': 'showcase-order-status', 'data-state': 'idle' });
  const list = h('ol', { class: 'item-list', 'data-testid': 'showcase-items', 'aria-labelledby': 'items-title' });
  const noItems = h('p', { class: 'empty', hidden: true }, t('Aucun élément pour l’instant.', 'No item yet.'));
  const editor = h('div', { class: 'item-editor', hidden: true, 'data-testid': 'showcase-item-editor' });
  const addButton = h('button', { type: 'button', class: 'primary', 'data-testid': 'showcase-item-add' });
  append(itemsSection, itemsHeading,
    canEdit ? h('p', { id: helpId, class: 'hint' }, t(
      'Pour changer l’ordre : glissez la poignée ⠿, utilisez les boutons Monter et Descendre, ou placez-vous sur la poignée et utilisez les flèches haut et bas (Début et Fin pour les extrémités).',
      'To change the order: drag the ⠿ handle, use the Move up and Move down buttons, or focus the handle and use the up and down arrows (Home and End for the ends).')) : null,
    canEdit ? orderStatus : null, list, noItems, canEdit ? h('div', { class: 'actions' }, addButton) : null, editor);

  const setOrderState = (state, text) => {
    orderStatus.dataset.state = state;
    orderStatus.textContent = text;
  };

  /**
   * Sends the on-screen order as a permutation of the server's. Moves made while it runs
   * queue one more call (move() sees orderQueued false again), so a burst of arrow presses
   * costs at most two requests and the last one always carries the final order.
   */
  let orderQueued = false;
  const syncOrder = async () => {
    orderQueued = false;
    const target = local.slice();
    const order = target.map((w) => confirmed.indexOf(w));
    if (order.length !== confirmed.length || order.includes(-1) || order.every((from, i) => from === i)) {
      if (!orderQueued) setOrderState('saved', t('Ordre enregistré.', 'Order saved.'));
      return;
    }
    setOrderState('saving', t('Enregistrement de l’ordre…', 'Saving the order…'));
    try {
      const s = await api('POST', `${path}/order`, { order });
      confirmed = target;
      if (!reconcile(s)) drawItems();
      if (!orderQueued) setOrderState('saved', t('Ordre enregistré.', 'Order saved.'));
    } catch (error) {
      setOrderState('error', t('L’ordre n’a pas pu être enregistré.', 'The order could not be saved.'));
      showAlert(error);
      announce(errorMessage(error));
      await reload();
    }
  };

  /** After a failure: the server's list, with fresh keys. */
  const reload = async () => {
    try {
      showcase = await api('GET', path);
      confirmed = showcase.items.map(wrap);
      local = confirmed.slice();
    } catch (error) {
      showAlert(error);
    }
    drawItems();
  };

  /** Moves an item to position `to` (0-based) and says where it went. */
  const move = (key, to, control) => {
    const from = local.findIndex((w) => w.key === key);
    if (from < 0 || to < 0 || to >= local.length || to === from) return;
    const [moved] = local.splice(from, 1);
    local.splice(to, 0, moved);
    drawItems({ key, control });
    announce(t(`« ${moved.data.title} » déplacé en position ${to + 1} sur ${local.length}.`,
      `“${moved.data.title}” moved to position ${to + 1} of ${local.length}.`));
    setOrderState('saving', t('Enregistrement de l’ordre…', 'Saving the order…'));
    if (!orderQueued) {
      orderQueued = true;
      enqueue(syncOrder);
    }
  };

  let dragKey = null;
  const clearDropMarks = () => {
    for (const row of list.querySelectorAll('.drop-before, .drop-after')) row.classList.remove('drop-before', 'drop-after');
  };
  list.addEventListener('dragover', (event) => {
    if (!dragKey) return;
    const row = event.target.closest('.item-row');
    if (!row) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'move';
    const box = row.getBoundingClientRect();
    const after = event.clientY > box.top + box.height / 2;
    clearDropMarks();
    row.classList.add(after ? 'drop-after' : 'drop-before');
  });
  list.addEventListener('dragleave', (event) => {
    if (!list.contains(event.relatedTarget)) clearDropMarks();
  });
  list.addEventListener('drop', (event) => {
    if (!dragKey) return;
    event.preventDefault();
    const row = event.target.closest('.item-row');
    const key = dragKey;
    clearDropMarks();
    if (!row) return;
    const from = local.findIndex((w) => w.key === key);
    let to = local.findIndex((w) => w.key === row.dataset.key);
    const box = row.getBoundingClientRect();
    if (event.clientY > box.top + box.height / 2) to += 1;
    // Removing the item first shifts the positions after it by one.
    if (from < to) to -= 1;
    move(key, to, 'handle');
  });

  const drawItems = (focus = null) => {
    itemsHeading.textContent = t(`Éléments (${local.length})`, `Items (${local.length})`);
    addButton.textContent = kind().add();
    addButton.disabled = local.length >= MAX_ITEMS;
    clear(list);
    list.hidden = local.length === 0;
    noItems.hidden = local.length > 0;
    local.forEach((w, i) => {
      const item = w.data;
      const titleId = `item-${w.key}-title`;
      const row = h('li', { class: 'item-row', 'data-key': w.key, 'data-testid': `showcase-item-${i}`, 'data-title': item.title },
        canEdit ? h('span', {
          class: 'drag-handle', role: 'button', tabindex: '0', draggable: 'true', 'data-control': 'handle',
          'data-testid': `showcase-item-handle-${i}`, 'aria-describedby': helpId, 'aria-keyshortcuts': 'ArrowUp ArrowDown Home End',
          'aria-label': t(`Déplacer « ${item.title} », position ${i + 1} sur ${local.length}`,
            `Move “${item.title}”, position ${i + 1} of ${local.length}`),
        }, '⠿') : null,
        h('div', { class: 'item-summary' },
          h('span', { class: 'item-position', 'aria-hidden': 'true' }, `${i + 1}.`), ' ',
          h('strong', { id: titleId, dir: 'auto' }, item.title),
          h('span', { class: 'muted item-subtitle', dir: 'auto' }, itemSubtitle(item))));
      if (canEdit) {
        const hidden = (text) => h('span', { class: 'visually-hidden' }, ` « ${text} »`);
        const up = h('button', { type: 'button', class: 'secondary small', 'data-control': 'up', 'data-testid': `showcase-item-up-${i}`,
          disabled: i === 0 }, t('Monter', 'Move up'), hidden(item.title));
        const down = h('button', { type: 'button', class: 'secondary small', 'data-control': 'down', 'data-testid': `showcase-item-down-${i}`,
          disabled: i === local.length - 1 }, t('Descendre', 'Move down'), hidden(item.title));
        const edit = h('button', { type: 'button', class: 'secondary small', 'data-control': 'edit', 'data-testid': `showcase-item-edit-${i}` },
          t('Modifier', 'Edit'), hidden(item.title));
        const remove = h('button', { type: 'button', class: 'secondary small', 'data-control': 'remove', 'data-testid': `showcase-item-remove-${i}` },
          t('Retirer', 'Remove'), hidden(item.title));
        up.addEventListener('click', () => move(w.key, local.indexOf(w) - 1, 'up'));
        down.addEventListener('click', () => move(w.key, local.indexOf(w) + 1, 'down'));
        edit.addEventListener('click', () => openEditor(w, edit));
        remove.addEventListener('click', () => removeItem(w));
        row.append(h('div', { class: 'item-controls' }, up, down, edit, remove));

        const handle = row.querySelector('.drag-handle');
        handle.addEventListener('keydown', (event) => {
          const at = local.indexOf(w);
          const to = { ArrowUp: at - 1, ArrowDown: at + 1, Home: 0, End: local.length - 1 }[event.key];
          if (to !== undefined) {
            event.preventDefault();
            move(w.key, to, 'handle');
          } else if (event.key === 'Enter' || event.key === ' ') {
            // Activating the handle only says how to use it.
            event.preventDefault();
            announce(t('Utilisez les flèches haut et bas pour déplacer cet élément.', 'Use the up and down arrows to move this item.'));
          }
        });
        handle.addEventListener('dragstart', (event) => {
          dragKey = w.key;
          event.dataTransfer.effectAllowed = 'move';
          // Some browsers start no drag without data.
          event.dataTransfer.setData('text/plain', item.title);
          if (event.dataTransfer.setDragImage) event.dataTransfer.setDragImage(row, 16, 16);
          row.classList.add('dragging');
        });
        handle.addEventListener('dragend', () => {
          dragKey = null;
          row.classList.remove('dragging');
          clearDropMarks();
        });
      }
      list.append(row);
    });
    if (focus) {
      const row = list.querySelector(`[data-key="${focus.key}"]`);
      if (row) {
        // A button that just became disabled (moved to an end) cannot hold focus: use its pair.
        const pair = { up: 'down', down: 'up' };
        let target = row.querySelector(`[data-control="${focus.control}"]`);
        if (!target || target.disabled) target = row.querySelector(`[data-control="${pair[focus.control] || 'handle'}"]`);
        if (!target || target.disabled) target = row.querySelector('[data-control="handle"]');
        if (target) target.focus();
      }
    }
  };

  /** The item form, for adding (`w` null) or editing. */
  const openEditor = (w, opener) => {
    clear(editor);
    editor.hidden = false;
    const type = w ? w.data.type : kind().type;
    const fields = itemFields(type, w ? w.data : null);
    const headingText = w ? t(`Modifier « ${w.data.title} »`, `Edit “${w.data.title}”`) : kind().add();
    const save = h('button', { type: 'submit', class: 'primary', 'data-testid': 'showcase-item-save' },
      w ? t('Enregistrer l’élément', 'Save the item') : t('Ajouter', 'Add'));
    const cancel = h('button', { type: 'button', class: 'secondary', 'data-testid': 'showcase-item-cancel' }, t('Annuler', 'Cancel'));
    const form = h('form', { class: 'form', novalidate: true, 'data-testid': 'showcase-item-form' },
      h('h3', { tabindex: '-1' }, headingText), fields.element, h('div', { class: 'actions' }, save, cancel));
    const close = (focusTarget) => {
      clear(editor);
      editor.hidden = true;
      if (focusTarget) focusTarget.focus();
    };
    cancel.addEventListener('click', () => close(opener && opener.isConnected ? opener : addButton));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(form);
      const body = readOrFlag(fields.read);
      if (!body) return;
      await busy(save, () => enqueue(async () => {
        // Positions are read now, after every queued move reached the server.
        const index = w ? confirmed.indexOf(w) : confirmed.length;
        setPaths(form, `items[${index}]`);
        if (w && index < 0) throw new Error(t('Cet élément n’existe plus.', 'This item no longer exists.'));
        let key;
        if (w) {
          const s = await api('PUT', `${path}/items/${index}`, body);
          w.data = s.items[index] || w.data;
          key = w.key;
          reconcile(s);
        } else {
          const s = await api('POST', `${path}/items`, body);
          // The new item is the last one, on screen too (moves not yet sent stay as they are).
          const added = wrap(s.items[s.items.length - 1]);
          confirmed.push(added);
          local.push(added);
          key = added.key;
          reconcile(s);
        }
        close(null);
        // After a reload by reconcile() the key may be gone; drawItems then focuses nothing.
        drawItems({ key, control: 'edit' });
        announce(w ? t('Élément enregistré', 'Item saved') : t(`Élément ajouté en position ${confirmed.length}`, `Item added at position ${confirmed.length}`));
      }), { onError: (error) => showErrors(form, error) });
    });
    editor.append(form);
    form.querySelector('h3').focus();
  };
  addButton.addEventListener('click', () => openEditor(null, addButton));

  const removeItem = async (w) => {
    if (!await confirmDialog(t(`Retirer « ${w.data.title} » de la vitrine ?`, `Remove “${w.data.title}” from the showcase?`),
      { danger: true, confirmLabel: t('Retirer', 'Remove') })) return;
    const position = local.indexOf(w);
    try {
      await enqueue(async () => {
        const index = confirmed.indexOf(w);
        if (index < 0) return;
        const s = await api('DELETE', `${path}/items/${index}`);
        confirmed.splice(index, 1);
        local = local.filter((x) => x !== w);
        reconcile(s);
      });
      drawItems();
      // Focus the item that took its place, or the one before, or the add button.
      const rows = list.querySelectorAll('.item-row');
      const next = rows[Math.min(position, rows.length - 1)];
      const target = next ? next.querySelector('[data-control="edit"]') : addButton;
      target.focus();
      announce(t(`« ${w.data.title} » retiré`, `“${w.data.title}” removed`));
    } catch (error) {
      showAlert(error);
      await reload();
    }
  };

  // ---- Content ----

  const drawContent = () => {
    clear(contentSection);
    contentSection.append(h('h2', { id: 'content-title' }, t('Textes et couverture', 'Texts and cover')));
    if (!canEdit) {
      contentSection.append(h('p', { class: 'pre-wrap' }, showcase.summary));
      return;
    }
    const content = contentFields(showcase, confirmed.length > 0);
    const save = h('button', { type: 'submit', class: 'primary', 'data-testid': 'showcase-save' }, t('Enregistrer', 'Save'));
    const form = h('form', { class: 'form', novalidate: true, 'data-testid': 'showcase-form' }, content.element, h('div', { class: 'actions' }, save));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(form);
      const body = readOrFlag(content.read);
      if (!body) return;
      await busy(save, () => enqueue(async () => {
        // The API replaces the items too: resend them as the server holds them.
        const s = await api('PUT', path, { ...body, items: confirmed.map((w) => itemRequest(w.data)) });
        reconcile(s);
        drawHeader();
        drawItems();
        drawContent();
        contentSection.querySelector('[data-testid="showcase-save"]').focus();
      }), { success: t('Vitrine enregistrée', 'Showcase saved'), onError: (error) => showErrors(form, error) });
    });
    contentSection.append(form);
  };

  const drawDanger = () => {
    clear(dangerSection);
    if (!canEdit) return;
    const remove = h('button', { type: 'button', class: 'danger', 'data-testid': 'showcase-delete' }, t('Supprimer la vitrine', 'Delete the showcase'));
    remove.addEventListener('click', async () => {
      if (!await confirmDialog(t(`Supprimer « ${showcase.title} » ? C’est définitif.`, `Delete “${showcase.title}”? This cannot be undone.`),
        { danger: true, confirmLabel: t('Supprimer', 'Delete') })) return;
      await busy(remove, async () => {
        await enqueue(() => api('DELETE', path));
        announce(t('Vitrine supprimée', 'Showcase deleted'));
        ctx.navigate('#/showcases');
      }, { onError: showAlert });
    });
    dangerSection.append(h('h2', { id: 'danger-title' }, t('Suppression', 'Deletion')), remove);
  };

  drawHeader();
  drawPublication();
  drawItems();
  drawContent();
  drawDanger();
}
