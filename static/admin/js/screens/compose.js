// The composer: write a post once for several channels, see each network's preview and count
// live, and save it as a draft, at a date and time in the library's zone, or in the next free weekly slot.
//
// Routes: #/compose (new; ?date=YYYY-MM-DD&time=HH:MM from the calendar, ?campaign=<id>),
// #/compose?id=<post> (edit). Endpoints: POST /api/posts, PUT /api/posts/:id (with the
// version read), then POST /api/posts/:id/schedule {"at","zone"} | {"next_free_slot": true}
// or POST /api/posts/:id/unschedule; live checks with POST /api/channels/:id/validate.
//
// Images: each row holds either an outside image ({"url": "https://…", "alt"}) or an image of
// the Médiathèque picked in a dialog (media-picker.js), sent as {"medium": id, "alt"}; the
// scheduler sends that medium's `social` rendition to the networks. GET /api/media/:id gives a
// loaded post's media their names and thumbnails.
//
// A post is created before it is scheduled: when scheduling fails (a channel's rule, a date
// in the past), the form switches to editing that post so a second try does not duplicate it.

import { api, ApiError } from '../api.js';
import { t, parisToday, TIME_ZONE, timeZoneLabel } from '../i18n.js';
import {
  h, clear, field, pageHeader, announce, showErrors, clearErrors, setFieldError, clearFieldError, busy, uid, append
} from '../ui.js';
import { loadChannels, kindName, stateBadge, localWhen, reviewNotice } from '../posts.js';
import { measure } from '../text-count.js';
import { pickMedium, fetchMedium, isUsable, thumbnailOf } from '../media-picker.js';

// Facebook Pages and Instagram carousels take 10 images, Mastodon and Bluesky 4 (the server's
// check per channel says so beside the preview). Four rows show; "Ajouter une image" the rest.
const MAX_IMAGES = 10;
const ROWS_SHOWN = 4;

/** "Lecture, #Nuit de" → ["Lecture", "Nuit"]: tags split on commas and spaces, '#' dropped. */
function parseTags(text) {
  return String(text || '').split(/[\s,;]+/).map((tag) => tag.replace(/^#+/, '').trim()).filter(Boolean);
}

function uniqueTags(tags) {
  const seen = new Set();
  return tags.filter((tag) => {
    const key = tag.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * What a row shows of a library image: {id, filename, alt (the library's), usable, thumb,
 * missing (deleted from the library), unknown (its details could not be read)}.
 */
function mediumRecord(medium, id) {
  if (!medium) {
    return { id, filename: null, alt: '', usable: false, thumb: thumbnailOf({ id }), missing: false, unknown: true };
  }
  return { id: medium.id || id, filename: medium.filename || null, alt: medium.alt || '', usable: isUsable(medium),
    thumb: thumbnailOf(medium), missing: false, unknown: false };
}

/** The library images of a loaded post, by id: their names and thumbnails (GET /api/media/:id). */
async function loadPostMedia(post) {
  const ids = [...new Set(((post && post.content && post.content.images) || [])
    .map((img) => img && img.medium).filter(Boolean))];
  const records = new Map();
  await Promise.all(ids.map(async (id) => {
    try {
      const medium = await fetchMedium(id);
      records.set(id, medium ? mediumRecord(medium, id) : { ...mediumRecord(null, id), thumb: null, missing: true, unknown: false });
    } catch (error) {
      if (error && error.status === 401) throw error;
      records.set(id, mediumRecord(null, id)); // shown all the same, by its usual thumbnail address
    }
  }));
  return records;
}

export async function render(main, params, ctx) {
  const [channels, campaignList, loaded] = await Promise.all([
    loadChannels(),
    api('GET', '/api/campaigns').then((d) => (d.campaigns || []).map((item) => item.campaign || item)).catch((e) => {
      if (e.status === 401) throw e;
      return [];
    }),
    params.id ? api('GET', `/api/posts/${encodeURIComponent(params.id)}`) : Promise.resolve(null),
  ]);
  const loadedMedia = await loadPostMedia(loaded);

  // The post being edited (after a failed schedule too): its id and version.
  let post = loaded;
  const today = parisToday();
  const campaigns = new Map(campaignList.map((c) => [c.id, c]));

  // ---- Fields ------------------------------------------------------------------------------

  const form = h('form', { class: 'form wide', novalidate: true, 'data-testid': 'compose-form' });

  // Channels.
  const channelBoxes = [];
  const channelFieldset = h('fieldset', { 'data-field': 'channels', tabindex: '-1', id: 'compose-channels' },
    h('legend', null, t('Canaux', 'Channels')));
  if (!channels.size) {
    channelFieldset.append(h('p', { class: 'notice' }, ctx.can('administer')
      ? [t('Aucun canal n’est connecté. ', 'No channel is connected. '), h('a', { href: '#/channels' }, t('Connecter un canal', 'Connect a channel'))]
      : t('Aucun canal n’est connecté : demandez à un·e administrateur·rice.', 'No channel is connected: ask an administrator.')));
  }
  for (const channel of channels.values()) {
    const box = h('input', { type: 'checkbox', name: 'channel', value: channel.id,
      'data-testid': 'compose-channel', 'data-channel-id': channel.id, 'data-kind': channel.kind });
    channelBoxes.push(box);
    const warning = channel.status === 'needs_reconnect'
      ? t(' — à reconnecter', ' — needs reconnecting') : '';
    const approval = channel.approval_required !== false
      ? t(' — validation requise', ' — approval required') : '';
    channelFieldset.append(field(`${channel.name} (${kindName(channel.kind)})${warning}${approval}`, box));
  }
  // The fieldset's own error paragraph (API paths "channels", "channels[i]").
  const channelsError = h('p', { class: 'field-error', id: 'compose-channels-error', hidden: true });
  channelFieldset.append(channelsError);

  const text = h('textarea', { name: 'text', rows: 8, required: true, maxlength: 5000,
    'data-testid': 'compose-text', 'aria-describedby': 'compose-counts' });
  const counts = h('p', { class: 'hint', id: 'compose-counts' });
  const warningInput = h('input', { type: 'text', name: 'content_warning', maxlength: 500, 'data-testid': 'compose-cw' });
  const link = h('input', { type: 'url', name: 'link', inputmode: 'url', placeholder: 'https://', 'data-testid': 'compose-link' });
  const language = h('select', { name: 'language', 'data-testid': 'compose-language' },
    h('option', { value: 'fr' }, 'Français'),
    h('option', { value: 'en' }, 'English'),
    h('option', { value: '' }, t('Non précisée', 'Not stated')));
  const visibility = h('select', { name: 'visibility', 'data-testid': 'compose-visibility' },
    h('option', { value: 'public' }, t('Publique', 'Public')),
    h('option', { value: 'unlisted' }, t('Non listée', 'Unlisted')),
    h('option', { value: 'private' }, t('Abonné·es seulement', 'Followers only')),
    h('option', { value: 'direct' }, t('Mentionné·es seulement', 'Mentioned only')));

  // Images: up to ten, each with its required text alternative. A row is in "url" mode (an
  // https address typed in) or in "library" mode (row.medium set: an image of the Médiathèque).
  const imageRows = [];
  const imagesFieldset = h('fieldset', { 'data-field': 'images', tabindex: '-1' },
    h('legend', null, t('Images (10 au plus ; 4 pour Mastodon et Bluesky)', 'Images (up to 10; 4 for Mastodon and Bluesky)')),
    h('p', { class: 'hint' }, t('Pour chaque image : choisissez-la dans la médiathèque ou indiquez son adresse https, puis décrivez-la pour les personnes qui ne la voient pas.',
      'For each image: choose it from the media library or give its https address, then describe it for people who cannot see it.')));
  for (let i = 0; i < MAX_IMAGES; i += 1) imagesFieldset.append(imageRow(i));
  const addImage = h('button', { type: 'button', class: 'secondary small', 'data-testid': 'compose-image-add' },
    t('Ajouter une image', 'Add an image'));
  imagesFieldset.append(h('div', { class: 'actions' }, addImage));
  imageRows.forEach((row) => { row.element.hidden = row.index >= ROWS_SHOWN; });
  addImage.addEventListener('click', () => {
    const next = imageRows.find((row) => row.element.hidden);
    if (next) revealRow(next).pick.focus();
  });

  /** Shows a row kept hidden until needed; the button goes when every row is shown. */
  function revealRow(row) {
    row.element.hidden = false;
    addImage.hidden = !imageRows.some((r) => r.element.hidden);
    return row;
  }

  /** Row i: address or library image on one side, the alt text on the other. */
  function imageRow(i) {
    const url = h('input', { type: 'url', name: `images[${i}].url`, inputmode: 'url', placeholder: 'https://',
      'data-field': `images[${i}].url`, 'data-testid': `compose-image-url-${i}` });
    const alt = h('textarea', { name: `images[${i}].alt`, rows: 2, maxlength: 1500,
      'data-field': `images[${i}].alt`, 'data-testid': `compose-image-alt-${i}` });
    const urlField = field(t(`Image ${i + 1} : adresse`, `Image ${i + 1}: address`), url);
    const altField = field(t(`Image ${i + 1} : texte alternatif`, `Image ${i + 1}: alt text`), alt);
    // Under the alt text in library mode: where it comes from, or that it must be written.
    const altNote = h('p', { class: 'hint', id: `${alt.id}-note`, hidden: true, 'data-testid': `compose-image-alt-note-${i}` });
    altField.insertBefore(altNote, altField.querySelector('.field-error'));

    // Library mode: the thumbnail (decorative: the file name and the alt text say what it
    // is), the file name, "Retirer". The box is where errors on images[i].medium land.
    const labelId = uid('compose-image-medium-label');
    const thumb = h('img', { class: 'image-medium-thumb', alt: '', hidden: true, decoding: 'async' });
    const noThumb = h('span', { class: 'image-medium-thumb image-medium-thumb-none', hidden: true },
      t('Aperçu indisponible', 'No preview'));
    // A thumbnail that does not load (deleted meanwhile, offline) gives way to words.
    thumb.addEventListener('error', () => {
      if (!thumb.getAttribute('src')) return;
      thumb.hidden = true;
      noThumb.hidden = false;
    });
    const name = h('p', { class: 'image-medium-name' });
    const gone = h('p', { class: 'image-medium-gone', hidden: true });
    const remove = h('button', { type: 'button', class: 'secondary small', 'data-testid': `compose-image-remove-${i}` },
      t('Retirer', 'Remove'), h('span', { class: 'visually-hidden' }, t(` l’image ${i + 1}`, ` image ${i + 1}`)));
    const box = h('div', { class: 'image-medium', id: uid('compose-image-medium'), role: 'group', 'aria-labelledby': labelId,
      tabindex: '-1', hidden: true, 'data-field': `images[${i}].medium`, 'data-testid': `compose-image-medium-${i}` },
    h('p', { class: 'image-medium-label', id: labelId }, t(`Image ${i + 1} : de la médiathèque`, `Image ${i + 1}: from the media library`)),
    h('div', { class: 'image-medium-body' }, thumb, noThumb,
      h('div', { class: 'image-medium-text' }, name, gone, h('div', { class: 'actions' }, remove))));
    const boxError = h('p', { class: 'field-error', id: `${box.id}-error`, hidden: true });

    const pick = h('button', { type: 'button', class: 'secondary small', 'aria-haspopup': 'dialog',
      'data-testid': `compose-image-pick-${i}` },
    t('Choisir dans la médiathèque', 'Choose from the media library'),
    h('span', { class: 'visually-hidden' }, t(` (image ${i + 1})`, ` (image ${i + 1})`)));

    const row = { index: i, url, alt, urlField, altNote, box, thumb, noThumb, name, gone, pick, remove, medium: null };
    imageRows.push(row);

    pick.addEventListener('click', async () => {
      const medium = await pickMedium({
        title: t(`Image ${i + 1} : choisir dans la médiathèque`, `Image ${i + 1}: choose from the media library`),
      });
      if (!medium || !form.isConnected) return;
      const hadImage = Boolean(row.medium || url.value.trim());
      const same = Boolean(row.medium && row.medium.id === medium.id);
      const record = mediumRecord(medium, medium.id);
      showMedium(row, record);
      // The library's description, to adapt if this post needs another one. Without one,
      // nothing to pre-fill: what staff typed stays, unless it described the image replaced.
      // The same image picked again keeps the description written for this post.
      if (!(same && alt.value.trim())) {
        if (record.usable && record.alt) alt.value = record.alt;
        else if (hadImage) alt.value = '';
      }
      clearFieldError(alt);
      update();
      if (record.usable) {
        announce(t(`Image ${i + 1} : « ${record.filename || record.id} » choisie, texte alternatif repris de la médiathèque.`,
          `Image ${i + 1}: “${record.filename || record.id}” chosen, alt text taken from the media library.`));
      } else {
        // The description must be written: go there (focus came back to "Choisir…").
        alt.focus();
        announce(t(`Image ${i + 1} : « ${record.filename || record.id} » choisie. Elle n’a pas de texte alternatif : écrivez-le.`,
          `Image ${i + 1}: “${record.filename || record.id}” chosen. It has no alt text: write it.`));
      }
    });

    remove.addEventListener('click', () => {
      showUrl(row);
      url.value = '';
      alt.value = '';
      clearFieldError(alt);
      update();
      url.focus();
      announce(t(`Image ${i + 1} retirée.`, `Image ${i + 1} removed.`));
    });

    row.element = h('div', { class: 'image-row', 'data-testid': `compose-image-row-${i}` },
      h('div', { class: 'image-source' }, urlField, box, boxError, h('div', { class: 'image-pick' }, pick)),
      altField);
    return row.element;
  }

  /** Puts a row in library mode, showing `record` (see mediumRecord). */
  function showMedium(row, record) {
    row.medium = record;
    row.url.value = '';
    clearFieldError(row.url);
    clearFieldError(row.box);
    row.urlField.hidden = true;
    row.box.hidden = false;
    row.box.dataset.mediaId = record.id;
    row.box.dataset.usable = String(record.usable);
    if (record.thumb) {
      row.thumb.src = record.thumb.url;
      if (record.thumb.width) row.thumb.width = record.thumb.width;
      else row.thumb.removeAttribute('width');
      if (record.thumb.height) row.thumb.height = record.thumb.height;
      else row.thumb.removeAttribute('height');
    } else {
      row.thumb.removeAttribute('src');
    }
    row.thumb.hidden = !record.thumb;
    row.noThumb.hidden = Boolean(record.thumb);
    row.name.textContent = record.filename
      || (record.missing ? t('Image supprimée de la médiathèque', 'Image deleted from the media library')
        : t('Image de la médiathèque', 'Media library image'));
    row.gone.textContent = record.missing
      ? t('Cette image n’est plus dans la médiathèque : retirez-la ou choisissez-en une autre.',
        'This image is no longer in the media library: remove it or choose another one.')
      : '';
    row.gone.hidden = !record.missing;
    row.altNote.textContent = record.missing || record.unknown ? ''
      : record.usable
        ? t('Vous pouvez adapter ce texte à cette publication : la description de l’image dans la médiathèque ne change pas.',
          'You can adapt this text to this post: the image’s description in the media library does not change.')
        : t('Cette image n’a pas de texte alternatif dans la médiathèque : écrivez-le ici, il est obligatoire.',
          'This image has no alt text in the media library: write it here, it is required.');
    setNote(row);
  }

  /** Puts a row back in url mode (its values are left to the caller). */
  function showUrl(row) {
    row.medium = null;
    clearFieldError(row.box);
    row.box.hidden = true;
    delete row.box.dataset.mediaId;
    delete row.box.dataset.usable;
    row.thumb.removeAttribute('src');
    row.urlField.hidden = false;
    row.altNote.textContent = '';
    setNote(row);
  }

  /** The alt text's note is part of its description only while it says something. */
  function setNote(row) {
    const ids = (row.alt.getAttribute('aria-describedby') || '').split(/\s+/).filter((id) => id && id !== row.altNote.id);
    row.altNote.hidden = !row.altNote.textContent;
    if (!row.altNote.hidden) ids.unshift(row.altNote.id);
    if (ids.length) row.alt.setAttribute('aria-describedby', ids.join(' '));
    else row.alt.removeAttribute('aria-describedby');
  }

  // Campaign and hashtags.
  const campaign = h('select', { name: 'campaign', 'data-testid': 'compose-campaign' },
    h('option', { value: '' }, t('Aucune', 'None')),
    campaignList.map((c) => h('option', { value: c.id }, c.name)));
  const campaignTags = h('p', { class: 'hint', id: uid('campaign-tags') });
  campaign.setAttribute('aria-describedby', campaignTags.id);
  const tagsInput = h('input', { type: 'text', name: 'hashtags', 'data-field': 'hashtags', autocomplete: 'off',
    'data-testid': 'compose-hashtags' });
  // The picker: every campaign's hashtags (current campaigns first) as checkboxes that add the
  // tag to the post's own hashtags.
  const pickerTags = uniqueTags(campaignList
    .slice()
    .sort((a, b) => Number(b.ends_on >= today) - Number(a.ends_on >= today))
    .flatMap((c) => c.hashtags || []));
  const pickerBoxes = pickerTags.map((tag) => h('input', { type: 'checkbox', value: tag, 'data-testid': 'compose-hashtag-pick' }));
  const picker = pickerTags.length
    ? h('fieldset', null, h('legend', null, t('Hashtags des campagnes', 'Campaign hashtags')),
      h('div', { class: 'hashtags' }, pickerBoxes.map((box) => field(`#${box.value}`, box))))
    : null;

  // Per-channel versions of the text (optional).
  const versionsBox = h('div', { class: 'stack' });
  const versionInputs = new Map(); // channel id → textarea

  // When.
  const whenName = uid('when');
  const whenAt = h('input', { type: 'radio', name: whenName, value: 'at', 'data-testid': 'compose-when-at' });
  const whenNext = h('input', { type: 'radio', name: whenName, value: 'next', 'data-testid': 'compose-when-next' });
  const whenDraft = h('input', { type: 'radio', name: whenName, value: 'draft', 'data-testid': 'compose-when-draft' });
  const date = h('input', { type: 'date', name: 'date', 'data-field': 'at', min: today, 'data-testid': 'compose-date' });
  const time = h('input', { type: 'time', name: 'time', step: 60, 'data-testid': 'compose-time' });
  const whenFieldset = h('fieldset', { 'data-field': 'schedule', tabindex: '-1' },
    h('legend', null, t('Quand publier ?', 'When to publish?')),
    field(t(`À une date et une heure (${timeZoneLabel()})`, `At a date and time (${timeZoneLabel()})`), whenAt),
    h('div', { class: 'image-row' }, field(t('Date', 'Date'), date), field(t('Heure', 'Time'), time)),
    field(t('Au prochain créneau libre des canaux', 'In the channels’ next free slot'), whenNext, null,
      { hint: t('Créneaux hebdomadaires réglés par canal.', 'Weekly slots set per channel.') }),
    field(t('Ne pas programmer (brouillon)', 'Do not schedule (draft)'), whenDraft));

  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'compose-submit' });
  const cancelLink = h('a', { href: post ? `#/posts/${encodeURIComponent(post.id)}` : '#/calendar' }, t('Annuler', 'Cancel'));

  // ---- Preview -----------------------------------------------------------------------------

  const preview = h('section', { class: 'preview', 'aria-labelledby': 'preview-title', 'data-testid': 'compose-preview' },
    h('h2', { id: 'preview-title' }, t('Aperçu par réseau', 'Preview per network')));
  const previewCards = h('div');
  preview.append(previewCards);
  const validationResults = new Map(); // channel id → [{field, message}]

  // ---- Fill in -----------------------------------------------------------------------------

  function fill() {
    const source = post;
    if (source) {
      const c = source.content || {};
      text.value = c.text || '';
      warningInput.value = c.content_warning || '';
      link.value = c.link || '';
      language.value = c.language || '';
      visibility.value = c.visibility || 'public';
      (c.images || []).slice(0, MAX_IMAGES).forEach((img, i) => {
        const row = revealRow(imageRows[i]);
        if (img.medium) showMedium(row, loadedMedia.get(img.medium) || mediumRecord(null, img.medium));
        else row.url.value = img.url || '';
        row.alt.value = img.alt || '';
      });
      const targets = new Set((source.targets || []).map((target) => target.channel));
      for (const box of channelBoxes) box.checked = targets.has(box.value);
      campaign.value = source.campaign || '';
      const own = source.hashtags || [];
      const picked = new Set(own.map((tag) => tag.toLowerCase()));
      for (const box of pickerBoxes) box.checked = picked.has(box.value.toLowerCase());
      const pickedValues = new Set(pickerBoxes.filter((b) => b.checked).map((b) => b.value.toLowerCase()));
      tagsInput.value = own.filter((tag) => !pickedValues.has(tag.toLowerCase())).map((tag) => `#${tag}`).join(' ');
      const when = localWhen(source);
      date.value = when.date || '';
      time.value = when.time || '';
      if (['scheduled', 'awaiting_approval', 'failed'].includes(source.state) && when.date) whenAt.checked = true;
      else whenDraft.checked = true;
    } else {
      language.value = 'fr';
      visibility.value = 'public';
      if (params.campaign && campaigns.has(params.campaign)) campaign.value = params.campaign;
      // A single channel is chosen for you; several are left for you to pick.
      if (channelBoxes.length === 1) channelBoxes[0].checked = true;
      date.value = params.date || '';
      time.value = params.time || (params.date ? '10:00' : '');
      (params.date ? whenAt : whenDraft).checked = true;
    }
    syncVersions();
    if (source) {
      for (const target of source.targets || []) {
        const input = versionInputs.get(target.channel);
        if (input && target.version && target.version.text) {
          input.value = target.version.text;
          input.closest('details').open = true;
        }
      }
    }
  }

  // ---- Behaviour ---------------------------------------------------------------------------

  function selectedChannels() {
    return channelBoxes.filter((box) => box.checked).map((box) => channels.get(box.value)).filter(Boolean);
  }

  function ownHashtags() {
    return uniqueTags([...pickerBoxes.filter((b) => b.checked).map((b) => b.value), ...parseTags(tagsInput.value)]);
  }

  /** The post's hashtags then its campaign's, as the server resolves them. */
  function resolvedHashtags() {
    const c = campaigns.get(campaign.value);
    return uniqueTags([...ownHashtags(), ...((c && c.hashtags) || [])]);
  }

  /**
   * The rows that hold an image (or half of one), in the order sent: {row (its index in the
   * form), image (as sent: {medium, alt} or {url, alt}), thumb (library images)}. Empty rows
   * send nothing, so images[n] in the API's answers is the n-th entry, not row n.
   */
  function imageEntries() {
    return imageRows.map((row) => {
      const alt = row.alt.value.trim();
      if (row.medium) return { row: row.index, image: { medium: row.medium.id, alt }, thumb: row.medium.thumb };
      const url = row.url.value.trim();
      return url || alt ? { row: row.index, image: { url, alt }, thumb: null } : null;
    }).filter(Boolean);
  }

  function images() {
    return imageEntries().map((entry) => entry.image);
  }

  /** The content one channel receives (its version's text replacing the post's). */
  function contentFor(channel) {
    const version = versionInputs.get(channel.id);
    return {
      text: version && version.value.trim() ? version.value : text.value,
      content_warning: warningInput.value.trim(),
      link: link.value.trim(),
      hashtags: resolvedHashtags(),
    };
  }

  /** A version textarea per chosen channel, kept when channels are unticked and ticked again. */
  function syncVersions() {
    const chosen = selectedChannels();
    for (const [id, input] of versionInputs) {
      input.closest('details').hidden = !chosen.some((c) => c.id === id);
    }
    for (const channel of chosen) {
      if (versionInputs.has(channel.id)) continue;
      const input = h('textarea', { name: `versions.${channel.id}.text`, rows: 5, maxlength: 5000,
        'data-field': `versions.${channel.id}.text`, 'data-testid': 'compose-version-text', 'data-channel-id': channel.id });
      versionInputs.set(channel.id, input);
      versionsBox.append(h('details', null,
        h('summary', null, t(`Texte adapté pour ${channel.name} (${kindName(channel.kind)})`,
          `Own text for ${channel.name} (${kindName(channel.kind)})`)),
        field(t('Texte pour ce canal (vide : le texte commun)', 'Text for this channel (empty: the common text)'), input)));
    }
  }

  function drawPreview() {
    clear(previewCards);
    const chosen = selectedChannels();
    const summary = [];
    const entries = imageEntries();
    if (!chosen.length) {
      previewCards.append(h('p', { class: 'empty' }, t('Choisissez au moins un canal.', 'Choose at least one channel.')));
    }
    for (const channel of chosen) {
      const m = measure(channel, contentFor(channel));
      const over = m.max !== null && (m.count > m.max || (m.maxBytes && m.bytes > m.maxBytes));
      const counterText = m.max === null
        ? t(`${m.count} caractères`, `${m.count} characters`)
        : t(`${m.count} / ${m.max} caractères`, `${m.count} / ${m.max} characters`);
      summary.push(`${channel.name} : ${counterText}${over ? t(' (trop long)', ' (too long)') : ''}`);
      const problems = validationResults.get(channel.id) || [];
      append(previewCards, h('article', { class: 'preview-card', 'data-testid': 'preview-card', 'data-channel-id': channel.id,
        'data-kind': channel.kind },
      h('h3', null, `${kindName(channel.kind)} — ${channel.name}`),
      m.warning && channel.kind === 'mastodon' ? h('p', { class: 'notice' }, `CW : ${m.warning}`) : null,
      networkNotes(channel, m, entries),
      h('p', { class: 'preview-text' }, m.text || t('(texte vide)', '(empty text)')),
      entries.length ? h('ul', { class: 'muted preview-image-list', 'data-testid': 'preview-images' }, entries.map(({ image, thumb }) => h('li', null,
        // The text beside it says what the image is: the thumbnail itself is decorative.
        thumb ? h('img', { class: 'preview-thumb', src: thumb.url, alt: '', width: thumb.width, height: thumb.height,
          'data-testid': 'preview-image-thumb', 'data-media-id': image.medium, decoding: 'async',
          onerror: (event) => { event.target.hidden = true; } }) : null,
        h('span', null, t(`Image : ${image.alt || '(sans texte alternatif)'}`, `Image: ${image.alt || '(no alt text)'}`))))) : null,
      h('p', { class: ['counter', over && 'over'], 'data-testid': 'preview-counter', 'data-count': m.count,
        'data-max': m.max === null ? null : m.max }, counterText,
      m.maxBytes && m.bytes > m.maxBytes ? t(` — ${m.bytes} octets sur ${m.maxBytes}`, ` — ${m.bytes} of ${m.maxBytes} bytes`) : ''),
      problems.length ? h('ul', { class: 'field-error-list' }, problems.map((p) => h('li', { class: 'field-error' },
        `${p.field} : ${p.message}`))) : null));
    }
    counts.textContent = summary.join(' · ');
  }

  /** The first link of the post: its link field, else the first address in its text. */
  function firstLink() {
    const own = link.value.trim();
    if (own) return own;
    const found = /https:\/\/\S+/.exec(text.value);
    return found ? found[0] : '';
  }

  /**
   * What a network makes of the post, before the server's own check: Instagram needs an image
   * (several make a carousel) and counts hashtags; Bluesky and a Facebook Page show the link's
   * card only without images.
   */
  function networkNotes(channel, m, entries) {
    if (channel.kind === 'bluesky' && firstLink()) {
      return h('ul', { class: 'preview-notes', 'data-testid': 'preview-link-card-note' },
        h('li', null, entries.length
          ? t('Avec des images, Bluesky n’affiche pas la carte du lien.', 'With images, Bluesky shows no card for the link.')
          : t('Bluesky montrera la carte du lien (titre, description, image de la page) pour une page de ce site ou du site que l’administrateur a autorisé.',
            'Bluesky will show the link’s card (the page’s title, description and image) for a page of this site or of the site the administrator allowed.')));
    }
    if (channel.kind === 'instagram') {
      const tooManyTags = m.hashtags > m.maxHashtags;
      return h('ul', { class: 'preview-notes', 'data-testid': 'preview-meta-notes' },
        !entries.length ? h('li', { class: 'field-error', 'data-testid': 'preview-instagram-needs-image' },
          t('Instagram exige au moins une image.', 'Instagram requires at least one image.')) : null,
        entries.some(({ image }) => !image.medium) ? h('li', { class: 'field-error', 'data-testid': 'preview-instagram-library-only' },
          t('Instagram ne prend que des images de la médiathèque : choisissez-les là.',
            'Instagram takes images of the media library only: choose them there.')) : null,
        entries.length > 1 ? h('li', null, t(`Carrousel de ${entries.length} images.`, `Carousel of ${entries.length} images.`)) : null,
        h('li', { class: tooManyTags ? 'field-error' : null, 'data-testid': 'preview-hashtag-count', 'data-count': m.hashtags },
          t(`${m.hashtags} hashtags sur ${m.maxHashtags} au plus`, `${m.hashtags} of at most ${m.maxHashtags} hashtags`)),
        h('li', null, t('Les liens ne sont pas cliquables dans une légende Instagram.', 'Links are not clickable in an Instagram caption.')));
    }
    if (channel.kind === 'facebook') {
      return h('ul', { class: 'preview-notes', 'data-testid': 'preview-meta-notes' },
        entries.length ? h('li', null, t(`Publication avec ${entries.length} image${entries.length > 1 ? 's' : ''}.`,
          `Post with ${entries.length} image${entries.length > 1 ? 's' : ''}.`))
          : firstLink() ? h('li', null, t('Facebook affiche la carte du lien.', 'Facebook shows the link’s card.')) : null);
    }
    return null;
  }

  // Asks the server what each channel would refuse, a moment after typing stops.
  let validateTimer = null;
  let validateRound = 0;
  function scheduleValidation() {
    clearTimeout(validateTimer);
    validateTimer = setTimeout(validateNow, 800);
  }
  async function validateNow() {
    const round = ++validateRound;
    const chosen = selectedChannels();
    if (!text.value.trim()) {
      validationResults.clear();
      drawPreview();
      return;
    }
    await Promise.all(chosen.map(async (channel) => {
      const c = contentFor(channel);
      // Only well-formed values: the endpoint refuses a body that does not parse.
      const content = {
        text: c.text,
        content_warning: c.content_warning || null,
        language: language.value || null,
        visibility: visibility.value,
        link: /^https:\/\/\S+$/.test(c.link) ? c.link : null,
        images: images().filter((img) => (img.medium || /^https:\/\/\S+$/.test(img.url)) && img.alt),
        hashtags: c.hashtags,
      };
      try {
        const answer = await api('POST', `/api/channels/${encodeURIComponent(channel.id)}/validate`, { content });
        if (round === validateRound) validationResults.set(channel.id, answer.errors || []);
      } catch (error) {
        if (round === validateRound) validationResults.delete(channel.id);
      }
    }));
    if (round === validateRound && form.isConnected) drawPreview();
  }

  function update() {
    const c = campaigns.get(campaign.value);
    campaignTags.textContent = c && (c.hashtags || []).length
      ? t(`Ajoutés à la fin : ${c.hashtags.map((tag) => `#${tag}`).join(' ')}`, `Appended: ${c.hashtags.map((tag) => `#${tag}`).join(' ')}`)
      : t('Les hashtags de la campagne sont ajoutés à la fin du texte.', 'The campaign’s hashtags are appended to the text.');
    const scheduling = whenAt.checked;
    date.disabled = !scheduling;
    time.disabled = !scheduling;
    submit.textContent = whenAt.checked ? t('Enregistrer et programmer', 'Save and schedule')
      : whenNext.checked ? t('Enregistrer au prochain créneau', 'Save in the next slot')
        : t('Enregistrer le brouillon', 'Save the draft');
    drawPreview();
    scheduleValidation();
  }

  form.addEventListener('input', (event) => {
    if (channelBoxes.includes(event.target)) syncVersions();
    update();
  });
  form.addEventListener('change', update);

  // ---- Submit ------------------------------------------------------------------------------

  /** Client-side checks, with the same messages beside the fields. */
  function check() {
    clearErrors(form);
    let first = null;
    const flag = (input, message) => {
      setFieldError(input, message);
      first = first || input;
    };
    if (!selectedChannels().length) flag(channelFieldset, t('Choisissez au moins un canal.', 'Choose at least one channel.'));
    if (!text.value.trim()) flag(text, t('Le texte est obligatoire.', 'The text is required.'));
    imageRows.forEach((row) => {
      const { url, alt } = row;
      if (row.medium) {
        if (row.medium.missing) {
          flag(row.box, t('Cette image n’est plus dans la médiathèque : retirez-la ou choisissez-en une autre.',
            'This image is no longer in the media library: remove it or choose another one.'));
        }
        if (!alt.value.trim()) flag(alt, t('Décrivez l’image : le texte alternatif est obligatoire.', 'Describe the image: the alt text is required.'));
        return;
      }
      if (url.value.trim() && !/^https:\/\//.test(url.value.trim())) flag(url, t('Une adresse https:// est attendue.', 'An https:// address is expected.'));
      if (url.value.trim() && !alt.value.trim()) flag(alt, t('Décrivez l’image : le texte alternatif est obligatoire.', 'Describe the image: the alt text is required.'));
      if (!url.value.trim() && alt.value.trim()) {
        flag(url, t('Indiquez l’adresse de l’image, ou choisissez-la dans la médiathèque.', 'Give the image’s address, or choose it from the media library.'));
      }
    });
    if (link.value.trim() && !/^https:\/\//.test(link.value.trim())) flag(link, t('Une adresse https:// est attendue.', 'An https:// address is expected.'));
    if (whenAt.checked) {
      if (!date.value) flag(date, t('Indiquez la date.', 'Give the date.'));
      if (!time.value) flag(time, t('Indiquez l’heure.', 'Give the time.'));
    }
    if (first) first.focus();
    return !first;
  }

  function body() {
    const chosen = selectedChannels();
    const versions = {};
    // Keep what the composer does not edit (another version field, a poll) from the loaded post.
    const loadedTargets = new Map(((post && post.targets) || []).map((target) => [target.channel, target.version || {}]));
    for (const channel of chosen) {
      const input = versionInputs.get(channel.id);
      const previous = { ...(loadedTargets.get(channel.id) || {}) };
      delete previous.text;
      const own = input && input.value.trim() ? { ...previous, text: input.value } : previous;
      if (Object.keys(own).length) versions[channel.id] = own;
    }
    const out = {
      text: text.value,
      content_warning: warningInput.value.trim() || null,
      language: language.value || null,
      visibility: visibility.value,
      link: link.value.trim() || null,
      images: images(),
      hashtags: ownHashtags(),
      channels: chosen.map((c) => c.id),
      versions,
      campaign: campaign.value || null,
    };
    if (post && post.content && post.content.poll) {
      const { options, expires_in_secs: expires, multiple } = post.content.poll;
      out.poll = { options, expires_in_secs: expires, multiple: Boolean(multiple) };
    }
    if (post) out.version = post.version;
    return out;
  }

  /**
   * "images[n]…" of the payload → the same path on the form's row that sent it (empty rows
   * are not sent); a bare "images[n]" goes to the row's address, or its library image.
   */
  function remapImagePath(path, imageRowIndexes) {
    const m = /^images\[(\d+)\](.*)$/.exec(path);
    if (!m || !imageRowIndexes) return path;
    const index = imageRowIndexes[Number(m[1])];
    if (index === undefined) return path;
    if (m[2]) return `images[${index}]${m[2]}`;
    return imageRows[index].medium ? `images[${index}].medium` : `images[${index}].url`;
  }

  /**
   * Rewrites the API's error paths onto the composer's inputs: a channel's own rule
   * ("channels[1].text") goes to that channel's version when it has one, else to the common
   * field; "hashtags[2]" to the hashtags input; "images[n]…" to the row that sent image n;
   * "poll…" stays in the summary.
   */
  function mapErrors(error, chosenIds, imageRowIndexes) {
    if (!(error instanceof ApiError)) return error;
    const remap = (path) => {
      if (!path) return path;
      let m = /^channels\[(\d+)\]\.(.+)$/.exec(path);
      if (m) {
        const id = chosenIds[Number(m[1])];
        const rest = m[2];
        const version = versionInputs.get(id);
        if (rest === 'text' && version && version.value.trim()) return `versions.${id}.text`;
        if (rest.startsWith('hashtags')) return 'hashtags';
        return remapImagePath(rest, imageRowIndexes);
      }
      m = /^channels\[(\d+)\]$/.exec(path);
      if (m) return 'channels';
      if (path.startsWith('hashtags')) return 'hashtags';
      m = /^versions\.([^.]+)\.text$/.exec(path);
      if (m && versionInputs.has(m[1])) versionInputs.get(m[1]).closest('details').open = true;
      if (path === 'zone') return 'at';
      return remapImagePath(path, imageRowIndexes);
    };
    // A single problem may come as "images[1].medium: …" in the message alone (showErrors
    // reads the path from it): that path is remapped too.
    let message = error.message;
    const inMessage = !error.field && !error.fields.length ? /^(images\[\d+\][\w.]*): (.+)$/s.exec(message || '') : null;
    if (inMessage) message = `${remapImagePath(inMessage[1], imageRowIndexes)}: ${inMessage[2]}`;
    const copy = new ApiError(error.status, error.code, message, remap(error.field),
      error.fields.map((f) => ({ field: remap(f.field), message: f.message })));
    return copy;
  }

  function showApiErrors(error, chosenIds, imageRowIndexes) {
    // The channels fieldset carries data-field="channels" and its error paragraph has the
    // id showErrors looks for, so channel problems land beside the checkboxes too.
    showErrors(form, mapErrors(error, chosenIds, imageRowIndexes));
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!check()) return;
    const payload = body();
    const chosenIds = payload.channels;
    // Which form row sent each payload image, for the errors' paths (read with the payload).
    const imageRowIndexes = imageEntries().map((entry) => entry.row);
    await busy(submit, async () => {
      // 1. Save the content.
      try {
        post = post
          ? await api('PUT', `/api/posts/${encodeURIComponent(post.id)}`, payload)
          : await api('POST', '/api/posts', payload);
      } catch (error) {
        showApiErrors(error, chosenIds, imageRowIndexes);
        announce(t('La publication n’a pas été enregistrée.', 'The post was not saved.'));
        return;
      }
      // From here on, the post exists: a retry edits it.
      ctx.replaceAddress(`#/compose?id=${encodeURIComponent(post.id)}`);
      cancelLink.href = `#/posts/${encodeURIComponent(post.id)}`;

      // 2. Schedule it (or not).
      try {
        if (whenAt.checked) {
          post = await api('POST', `/api/posts/${encodeURIComponent(post.id)}/schedule`,
            { at: `${date.value}T${time.value.slice(0, 5)}`, zone: TIME_ZONE });
        } else if (whenNext.checked) {
          post = await api('POST', `/api/posts/${encodeURIComponent(post.id)}/schedule`, { next_free_slot: true });
        } else if (['scheduled', 'awaiting_approval'].includes(post.state)) {
          post = await api('POST', `/api/posts/${encodeURIComponent(post.id)}/unschedule`);
        }
      } catch (error) {
        showApiErrors(error, chosenIds, imageRowIndexes);
        announce(t('Publication enregistrée comme brouillon, mais pas programmée.', 'Post saved as a draft, but not scheduled.'));
        return;
      }
      announce(post.state === 'awaiting_approval'
        ? t('Publication enregistrée, en attente de validation.', 'Post saved, awaiting approval.')
        : post.state === 'scheduled'
          ? t('Publication programmée.', 'Post scheduled.')
          : t('Brouillon enregistré.', 'Draft saved.'));
      ctx.navigate(`#/posts/${encodeURIComponent(post.id)}`);
    });
  });

  // ---- Layout ------------------------------------------------------------------------------

  fill();
  form.append(
    channelFieldset,
    field(t('Texte', 'Text'), text, null, { hint: t('Les hashtags et le lien sont ajoutés à la fin ; l’aperçu montre le résultat.',
      'Hashtags and the link are appended; the preview shows the result.') }),
    counts,
    h('details', null, h('summary', null, t('Texte adapté par canal (facultatif)', 'Own text per channel (optional)')), versionsBox),
    field(t('Avertissement de contenu (facultatif)', 'Content warning (optional)'), warningInput),
    field(t('Lien (facultatif)', 'Link (optional)'), link),
    h('div', { class: 'image-row' }, field(t('Langue', 'Language'), language), field(t('Visibilité (Mastodon)', 'Visibility (Mastodon)'), visibility)),
    imagesFieldset,
    field(t('Campagne', 'Campaign'), campaign),
    campaignTags,
    picker,
    field(t('Autres hashtags', 'Other hashtags'), tagsInput, null,
      { hint: t('Séparés par des espaces, en CamelCase : #NuitDeLaLecture.', 'Separated by spaces, in CamelCase: #NuitDeLaLecture.') }),
    whenFieldset,
    h('div', { class: 'actions' }, submit, cancelLink),
  );
  // The text's describedby holds the hint, the counts and (later) its error.
  text.setAttribute('aria-describedby', `${text.id}-hint compose-counts`);

  clear(main);
  append(main, 
    pageHeader(post ? t('Modifier la publication', 'Edit the post') : t('Nouvelle publication', 'New post'),
      post ? stateBadge(post.state) : null),
    post ? reviewNotice(post) : null,
    post && ['published', 'publishing', 'cancelled'].includes(post.state)
      ? h('p', { class: 'notice' }, t('Cette publication ne peut plus être modifiée.', 'This post can no longer be changed.')) : null,
    h('div', { class: 'composer' }, form, preview),
  );
  update();
}
