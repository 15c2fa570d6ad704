// Events: readings, workshops, concerts, with their place or live stream and, afterwards,
// the replay. The staff list, creation and edition, publication now or at a date,
// unpublication and deletion.
//
// Routes: #/events, #/events?new=1, #/events/:id.
// API: components/showcases/src/api.rs (events part); request shape EventRequest in
// crates/kiosque-domain/src/events/mod.rs. Times are sent as wall-clock times
// ("2026-12-12T14:00") with the event's time zone, which the API converts: staff think in the
// time of the place where the event happens, not in UTC.

import { api } from '../api.js';
import { t, formatDateTime, TIME_ZONE } from '../i18n.js';
import {
  h, field, showErrors, announce, confirmDialog, clearErrors, setFieldError, clear, pageHeader,
  loading, errorMessage, empty, badge, busy, uid, append
} from '../ui.js';
import { libraryImage } from '../media-picker.js';

// The zones the API knows (ZONES in crates/kiosque-domain/src/zone.rs; it has no endpoint
// listing them). Mainland France first, then overseas France, then the neighbours.
const ZONES = [
  'Europe/Paris', 'UTC',
  'America/Guadeloupe', 'America/Martinique', 'America/St_Barthelemy', 'America/Marigot', 'America/Cayenne',
  'America/Miquelon', 'Indian/Reunion', 'Indian/Mayotte', 'Indian/Kerguelen', 'Pacific/Noumea', 'Pacific/Wallis',
  'Pacific/Tahiti', 'Pacific/Marquesas', 'Pacific/Gambier',
  'Europe/London', 'Europe/Dublin', 'Europe/Lisbon', 'Atlantic/Canary', 'Europe/Brussels', 'Europe/Luxembourg',
  'Europe/Monaco', 'Europe/Andorra', 'Europe/Zurich', 'Europe/Berlin', 'Europe/Amsterdam', 'Europe/Madrid',
  'Europe/Rome', 'Europe/Vienna', 'Europe/Prague', 'Europe/Warsaw', 'Europe/Copenhagen', 'Europe/Stockholm',
  'Europe/Oslo', 'Europe/Budapest', 'Europe/Athens', 'Europe/Helsinki', 'Europe/Bucharest',
  'Africa/Algiers', 'Africa/Tunis', 'Africa/Dakar', 'Africa/Abidjan', 'Africa/Kinshasa',
  'America/Toronto', 'America/Montreal',
];

const VISIBILITY = {
  draft: () => t('Brouillon', 'Draft'),
  scheduled: () => t('Programmé', 'Scheduled'),
  published: () => t('Publié', 'Published'),
};

const PHASE = {
  upcoming: () => t('À venir', 'Upcoming'),
  live: () => t('En cours', 'Live'),
  past: () => t('Passé', 'Past'),
};

const label = (table, key) => (table[key] ? table[key]() : key);

/** "2026-12-12T14:00": the wall-clock time of an instant in `zone`, for datetime-local inputs. */
function wallClock(iso, zone) {
  if (!iso) return '';
  let parts;
  try {
    parts = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone || TIME_ZONE, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit',
    }).formatToParts(new Date(iso));
  } catch {
    // A zone this browser does not know: the library's rather than nothing.
    return wallClock(iso, TIME_ZONE);
  }
  const p = Object.fromEntries(parts.map((part) => [part.type, part.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour === '24' ? '00' : p.hour}:${p.minute}`;
}

/** A date shown in the event's own zone, with the zone named when it is not the library's. */
function when(iso, zone) {
  let text;
  try {
    text = formatDateTime(iso, { timeZone: zone || TIME_ZONE });
  } catch {
    text = formatDateTime(iso);
  }
  return zone && zone !== TIME_ZONE ? `${text} (${zone})` : text;
}

export async function render(main, params, ctx) {
  if (params.id) return renderDetail(main, params.id, ctx);
  if (params.new !== undefined && ctx.can('edit')) return renderCreate(main, ctx);
  return renderList(main, ctx);
}

// ---- List ----------------------------------------------------------------------------------

async function renderList(main, ctx) {
  append(main, pageHeader(t('Événements', 'Events'),
    ctx.can('edit') ? h('a', { href: '#/events?new=1', class: 'button primary', 'data-testid': 'event-new' },
      t('Nouvel événement', 'New event')) : null));
  const placeholder = loading();
  main.append(placeholder);
  const tbody = h('tbody');
  const more = h('div', { class: 'actions' });
  const loadPage = async (page) => {
    const data = await api('GET', page ? `/api/events?page=${page}` : '/api/events');
    for (const e of data.events) {
      tbody.append(h('tr', { 'data-testid': 'event-row' },
        h('th', { scope: 'row' }, h('a', { href: `#/events/${encodeURIComponent(e.id)}` }, e.title)),
        h('td', null, when(e.starts_at, e.time_zone)),
        h('td', null, badge(label(PHASE, e.phase), e.phase)),
        h('td', null, badge(label(VISIBILITY, e.visibility), e.visibility))));
    }
    clear(more);
    if (data.next_page) {
      const next = h('button', { type: 'button', class: 'secondary' }, t('Afficher les suivants', 'Show more'));
      next.addEventListener('click', () => busy(next, async () => {
        const before = tbody.rows.length;
        await loadPage(data.next_page);
        const first = tbody.rows[before] && tbody.rows[before].querySelector('a');
        if (first) first.focus();
      }, { success: t('Événements suivants affichés', 'More events shown') }));
      more.append(next);
    }
    return data.events.length;
  };
  const count = await loadPage(null);
  placeholder.remove();
  if (!count) {
    main.append(empty(t('Aucun événement pour l’instant.', 'No event yet.')));
    return;
  }
  main.append(h('div', { class: 'table-scroll' }, h('table', { 'data-testid': 'event-list' },
    h('caption', { class: 'visually-hidden' }, t('Événements, du plus récent au plus ancien', 'Events, newest first')),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, t('Titre', 'Title')),
      h('th', { scope: 'col' }, t('Début', 'Starts')),
      h('th', { scope: 'col' }, t('Moment', 'Phase')),
      h('th', { scope: 'col' }, t('État', 'State')))),
    tbody)), more);
}

// ---- Form ----------------------------------------------------------------------------------

/**
 * The event form for creation (`event` null) and edition. `save(body)` sends the
 * EventRequest; its errors ("starts_at: ...", "image.alt: ...") land beside the inputs.
 */
function eventForm(event, save, submitLabel) {
  const e = event || {};
  const input = (name, attrs = {}) => h('input', { type: 'text', name, 'data-field': name, ...attrs });
  const title = input('title', { required: true, maxlength: '200', value: e.title || '' });
  const description = h('textarea', { name: 'description', 'data-field': 'description', rows: '8', maxlength: '8000' });
  description.value = e.description || '';
  const zone = h('select', { name: 'time_zone', 'data-field': 'time_zone' },
    ZONES.map((name) => h('option', { value: name, selected: (e.time_zone || TIME_ZONE) === name }, name)));
  const startsAt = input('starts_at', { type: 'datetime-local', required: true, value: wallClock(e.starts_at, e.time_zone) });
  const endsAt = input('ends_at', { type: 'datetime-local', required: true, value: wallClock(e.ends_at, e.time_zone) });
  const placeName = input('place_name', { 'data-field': 'place.name', maxlength: '200', value: e.place ? e.place.name : '' });
  const placeAddress = input('place_address', { 'data-field': 'place.address', maxlength: '300',
    value: e.place && e.place.address ? e.place.address : '' });
  const online = input('online', { type: 'checkbox', checked: Boolean(e.online) });
  const streamUrl = input('stream_url', { type: 'url', value: e.stream_url || '' });
  const replayUrl = input('replay_url', { type: 'url', value: e.replay_url || '' });
  const audience = input('audience', { maxlength: '120', value: e.audience || '' });
  const registrationUrl = input('registration_url', { type: 'url', value: e.registration_url || '' });
  const img = e.image || {};
  const image = {
    url: input('image_url', { type: 'url', 'data-field': 'image.url', value: img.image && img.image.url ? img.image.url : '' }),
    width: input('image_width', { type: 'number', 'data-field': 'image.width', min: '1', max: '20000',
      value: img.image && img.image.url ? String(img.image.width) : '' }),
    height: input('image_height', { type: 'number', 'data-field': 'image.height', min: '1', max: '20000',
      value: img.image && img.image.url ? String(img.image.height) : '' }),
    alt: input('image_alt', { 'data-field': 'image.alt', maxlength: '500', value: img.alt || '' }),
    credit: input('image_credit', { 'data-field': 'image.credit', maxlength: '200', value: img.credit || '' }),
    licence: input('image_licence', { 'data-field': 'image.licence', maxlength: '200', value: img.licence || '' }),
  };
  // The address and size of an outside image, or a medium of the library in their place.
  const imageUrlParts = [
    field(t('Adresse de l’image (https)', 'Image address (https)'), image.url),
    field(t('Largeur (pixels)', 'Width (pixels)'), image.width),
    field(t('Hauteur (pixels)', 'Height (pixels)'), image.height),
  ];
  const library = libraryImage({
    label: t('Image de l’événement', 'Event image'),
    alt: image.alt,
    urlParts: imageUrlParts,
    urlInput: image.url,
    medium: img.image && img.image.medium ? img.image.medium : null,
    testid: 'event-image',
  });
  library.box.dataset.field = 'image.medium';
  const zoneHint = h('p', { class: 'hint', id: uid('zone-hint') });
  const syncZoneHint = () => {
    zoneHint.textContent = t(`Heures locales du lieu de l’événement (${zone.value}).`, `Local times where the event happens (${zone.value}).`);
  };
  zone.addEventListener('change', syncZoneHint);
  syncZoneHint();

  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'event-save' }, submitLabel);
  const form = h('form', { class: 'form', novalidate: true, 'data-testid': 'event-form' },
    field(t('Titre', 'Title'), title),
    field(t('Description', 'Description'), description, null, { hint: t('Paragraphes séparés par une ligne vide.', 'Paragraphs separated by a blank line.') }),
    h('fieldset', null, h('legend', null, t('Date et heure', 'Date and time')),
      field(t('Fuseau horaire', 'Time zone'), zone),
      zoneHint,
      field(t('Début', 'Starts'), startsAt),
      field(t('Fin', 'Ends'), endsAt, null, { hint: t('31 jours au plus : créez un événement par séance.', 'At most 31 days: create one event per session.') })),
    h('fieldset', null, h('legend', null, t('Lieu', 'Place')),
      h('p', { class: 'hint' }, t('Un lieu, ou « en ligne », ou les deux.', 'A place, or “online”, or both.')),
      field(t('Nom du lieu', 'Name of the place'), placeName),
      field(t('Adresse', 'Address'), placeAddress),
      field(t('En ligne', 'Online'), online, null, { hint: t('Coché d’office quand une adresse de direct est donnée.', 'Implied when a live stream address is given.') })),
    h('fieldset', null, h('legend', null, t('Diffusion', 'Broadcast')),
      field(t('Adresse du direct (https)', 'Live stream address (https)'), streamUrl, null,
        { hint: t('PeerTube, YouTube, Vimeo, Dailymotion ou Twitch : la page l’intègre pendant l’événement.',
          'PeerTube, YouTube, Vimeo, Dailymotion or Twitch: the page embeds it during the event.') }),
      field(t('Adresse de la rediffusion (https)', 'Replay address (https)'), replayUrl, null,
        { hint: t('Montrée une fois l’événement passé.', 'Shown once the event is over.') })),
    field(t('Public', 'Audience'), audience, null, { hint: t('Par exemple « Adultes » ou « Dès 8 ans ».', 'E.g. “Adults” or “From 8”.') }),
    field(t('Inscription (https)', 'Registration (https)'), registrationUrl),
    h('fieldset', null, h('legend', null, t('Image (facultative)', 'Image (optional)')),
      library.element,
      imageUrlParts,
      field(t('Texte alternatif', 'Text alternative'), image.alt, null,
        { hint: t('Obligatoire avec une image : ce qu’elle montre.', 'Required with an image: what it shows.') }),
      field(t('Crédit', 'Credit'), image.credit),
      field(t('Licence', 'Licence'), image.licence)),
    h('div', { class: 'actions' }, submit));
  // After field() set their own hints: both times also point at the zone they are read in.
  for (const el of [startsAt, endsAt]) {
    el.setAttribute('aria-describedby', [el.getAttribute('aria-describedby'), zoneHint.id].filter(Boolean).join(' '));
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    for (const required of [startsAt, endsAt]) {
      if (!required.value) {
        setFieldError(required, t('Date et heure requises.', 'Date and time required.'));
        required.focus();
        return;
      }
    }
    const opt = (el) => (el.value.trim() ? el.value.trim() : undefined);
    const body = {
      title: title.value,
      description: description.value,
      starts_at: startsAt.value,
      ends_at: endsAt.value,
      time_zone: zone.value,
      online: online.checked,
      stream_url: opt(streamUrl),
      replay_url: opt(replayUrl),
      audience: opt(audience),
      registration_url: opt(registrationUrl),
    };
    if (placeName.value.trim() || placeAddress.value.trim()) {
      body.place = { name: placeName.value, address: opt(placeAddress) };
    }
    if (library.mediumId()) {
      body.image = {
        medium: library.mediumId(),
        alt: opt(image.alt),
        credit: opt(image.credit),
        licence: opt(image.licence),
      };
    } else if (Object.values(image).some((el) => el.value.trim())) {
      body.image = {
        url: image.url.value.trim(),
        // 0 when blank or unreadable: the API then says which dimension is wrong.
        width: Number.parseInt(image.width.value, 10) || 0,
        height: Number.parseInt(image.height.value, 10) || 0,
        alt: opt(image.alt),
        credit: opt(image.credit),
        licence: opt(image.licence),
      };
    }
    await busy(submit, () => save(body), { onError: (error) => showErrors(form, error) });
  });
  return form;
}

// ---- Creation ------------------------------------------------------------------------------

function renderCreate(main, ctx) {
  main.append(pageHeader(t('Nouvel événement', 'New event')),
    h('p', null, h('a', { href: '#/events' }, t('← Retour aux événements', '← Back to events'))),
    h('p', null, t('L’événement reste en brouillon jusqu’à sa publication.', 'The event stays a draft until published.')));
  main.append(eventForm(null, async (body) => {
    const e = await api('POST', '/api/events', body);
    announce(t('Événement créé', 'Event created'));
    ctx.navigate(`#/events/${encodeURIComponent(e.id)}`);
  }, t('Créer l’événement', 'Create the event')));
}

// ---- Detail --------------------------------------------------------------------------------

async function renderDetail(main, id, ctx) {
  const path = `/api/events/${encodeURIComponent(id)}`;
  const placeholder = loading();
  main.append(placeholder);
  let event = await api('GET', path);
  placeholder.remove();
  const canEdit = ctx.can('edit');

  const alert = h('div', { class: 'error-box', role: 'alert', hidden: true, 'data-testid': 'event-error' });
  const showAlert = (error) => { alert.textContent = errorMessage(error); alert.hidden = false; };
  const header = h('div');
  const publication = h('section', { 'aria-labelledby': 'event-publication-title' });
  const editSection = h('section', { 'aria-labelledby': 'event-edit-title' });
  const dangerSection = h('section', { 'aria-labelledby': 'event-danger-title' });
  main.append(h('p', null, h('a', { href: '#/events' }, t('← Retour aux événements', '← Back to events'))),
    header, alert, publication, editSection, dangerSection);

  const drawHeader = () => {
    clear(header);
    append(header, pageHeader(event.title),
      h('p', null, badge(label(VISIBILITY, event.visibility), event.visibility), ' ', badge(label(PHASE, event.phase), event.phase)),
      h('dl', { class: 'meta-list' },
        h('dt', null, t('Début', 'Starts')), h('dd', null, when(event.starts_at, event.time_zone)),
        h('dt', null, t('Fin', 'Ends')), h('dd', null, when(event.ends_at, event.time_zone)),
        h('dt', null, t('Lieu', 'Place')), h('dd', null,
          [event.place ? [event.place.name, event.place.address].filter(Boolean).join(', ') : null,
            event.online ? t('en ligne', 'online') : null].filter(Boolean).join(' · '))));
  };

  const drawPublication = () => {
    clear(publication);
    publication.append(h('h2', { id: 'event-publication-title' }, t('Publication', 'Publication')));
    const state = {
      draft: t('Brouillon : invisible du public.', 'Draft: hidden from the public.'),
      scheduled: t(`Programmé : visible à partir du ${formatDateTime(event.published_at)}.`, `Scheduled: visible from ${formatDateTime(event.published_at)}.`),
      published: t(`Publié depuis le ${formatDateTime(event.published_at)}.`, `Published since ${formatDateTime(event.published_at)}.`),
    }[event.visibility];
    publication.append(h('p', { 'data-testid': 'event-visibility', tabindex: '-1' }, state));
    append(publication, h('ul', { class: 'inline-list' },
      event.visibility === 'published' ? h('li', null, h('a', { href: event.url, 'data-testid': 'event-public-link' }, t('Page publique', 'Public page'))) : null,
      event.visibility === 'published' ? h('li', null, h('a', { href: event.ics_url }, t('Fichier agenda (.ics)', 'Calendar file (.ics)'))) : null,
      event.stream_url ? h('li', null, h('a', { href: event.stream_url }, t('Direct', 'Live stream'))) : null,
      event.replay_url ? h('li', null, h('a', { href: event.replay_url }, t('Rediffusion', 'Replay'))) : null));
    if (!canEdit) return;

    const after = async (request, success) => {
      alert.hidden = true;
      event = await request();
      drawHeader();
      drawPublication();
      publication.querySelector('[data-testid="event-visibility"]').focus();
      announce(success);
    };
    const buttons = h('div', { class: 'actions' });
    if (event.visibility !== 'published') {
      const now = h('button', { type: 'button', class: 'primary', 'data-testid': 'event-publish' }, t('Publier maintenant', 'Publish now'));
      now.addEventListener('click', () => busy(now, () => after(() => api('POST', `${path}/publish`, {}),
        t('Événement publié', 'Event published')), { onError: showAlert }));
      buttons.append(now);
    }
    if (event.visibility !== 'draft') {
      const off = h('button', { type: 'button', class: 'secondary', 'data-testid': 'event-unpublish' }, t('Dépublier', 'Unpublish'));
      off.addEventListener('click', async () => {
        if (!await confirmDialog(t('Dépublier cet événement ? Il disparaîtra de l’agenda public.', 'Unpublish this event? It will leave the public calendar.'),
          { confirmLabel: t('Dépublier', 'Unpublish') })) return;
        await busy(off, () => after(() => api('POST', `${path}/unpublish`), t('Événement dépublié', 'Event unpublished')), { onError: showAlert });
      });
      buttons.append(off);
    }
    publication.append(buttons);

    const at = h('input', { type: 'datetime-local', name: 'at', 'data-field': 'at', required: true });
    const schedule = h('button', { type: 'submit', class: 'secondary', 'data-testid': 'event-schedule' }, t('Programmer', 'Schedule'));
    const form = h('form', { class: 'form', novalidate: true },
      field(t(`Publier à une date (${event.time_zone})`, `Publish at a date (${event.time_zone})`), at), h('div', { class: 'actions' }, schedule));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      if (!at.value) {
        setFieldError(at, t('Choisissez une date et une heure.', 'Choose a date and a time.'));
        at.focus();
        return;
      }
      await busy(schedule, () => after(() => api('POST', `${path}/publish`, { at: at.value, time_zone: event.time_zone }),
        t('Publication programmée', 'Publication scheduled')), { onError: (error) => showErrors(form, error) });
    });
    publication.append(form);

    const snippet = h('textarea', { readonly: true, rows: '3', class: 'code' });
    snippet.value = event.embed_html;
    publication.append(h('details', null, h('summary', null, t('Intégrer sur un autre site', 'Embed on another site')),
      field(t('Code à coller', 'Code to paste'), snippet)));
  };

  const drawEdit = () => {
    clear(editSection);
    if (!canEdit) return;
    editSection.append(h('h2', { id: 'event-edit-title' }, t('Modifier', 'Edit')),
      eventForm(event, async (body) => {
        event = await api('PUT', path, body);
        drawHeader();
        drawPublication();
        drawEdit();
        editSection.querySelector('[data-testid="event-save"]').focus();
        announce(t('Événement enregistré', 'Event saved'));
      }, t('Enregistrer', 'Save')));
  };

  const drawDanger = () => {
    clear(dangerSection);
    if (!canEdit) return;
    const remove = h('button', { type: 'button', class: 'danger', 'data-testid': 'event-delete' }, t('Supprimer l’événement', 'Delete the event'));
    remove.addEventListener('click', async () => {
      if (!await confirmDialog(t(`Supprimer « ${event.title} » ? C’est définitif.`, `Delete “${event.title}”? This cannot be undone.`),
        { danger: true, confirmLabel: t('Supprimer', 'Delete') })) return;
      await busy(remove, async () => {
        await api('DELETE', path);
        announce(t('Événement supprimé', 'Event deleted'));
        ctx.navigate('#/events');
      }, { onError: showAlert });
    });
    dangerSection.append(h('h2', { id: 'event-danger-title' }, t('Suppression', 'Deletion')), remove);
  };

  drawHeader();
  drawPublication();
  drawEdit();
  drawDanger();
}
