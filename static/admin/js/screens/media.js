// Médiathèque (media library): the images staff upload once and reuse in posts, showcases,
// events, polls and tutorials. Everyone with 'view' sees the library; 'edit' uploads,
// describes (alt text, credit, licence) and deletes.
//
// Route: #/media (nothing kept in the address).
// API (components/media): POST /api/media/uploads {filename, size} → {upload: {id, parts,
// part_size…}}; PUT /api/media/uploads/:id/parts/:n (raw bytes) → 204; POST
// /api/media/uploads/:id/complete {} → 201 {medium}; DELETE /api/media/uploads/:id (abandon);
// GET /api/media[?before=cursor] → {media, next}; PUT /api/media/:id {alt, credit, licence} →
// {medium}; DELETE /api/media/:id → 204.
//
// Why uploads go in parts: a 20 MB photo cannot be one request body on every host, so the
// file is cut with File.slice (no copy in memory, which matters on modest laptops) and sent
// part by part, two at a time at most, one file after the other. Parts are idempotent, so a
// part that fails on a flaky library Wi-Fi is simply sent again.

import { api, sendBytes, ApiError } from '../api.js';
import { t, formatDate, formatNumber } from '../i18n.js';
import {
  h, clear, append, field, pageHeader, announce, showErrors, clearErrors, setFieldError,
  errorMessage, confirmDialog, busy, empty, uid
} from '../ui.js';

// The server's limits (crates/kiosque-domain/src/media): it checks them again, these only
// spare staff a long upload that would be refused at the end.
const MAX_FILE_BYTES = 20 * 1024 * 1024; // MAX_FILE_BYTES: 20 MiB, "20 Mo" for staff
const EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp', 'gif'];
const MAX_FILENAME_CHARS = 200;
const MAX_ALT_CHARS = 1500;
const MAX_CREDIT_CHARS = 200;
/** Parts in flight per file: enough to hide the latency, gentle on a shared connection. */
const PART_CONCURRENCY = 2;
/** Waits before sending a part again after a passing failure (then the file fails). */
const RETRY_DELAYS = [1000, 3000, 8000];

const LICENCES = [
  ['all_rights_reserved', () => t('Tous droits réservés', 'All rights reserved')],
  ['cc_by', () => t('CC BY (attribution)', 'CC BY (attribution)')],
  ['cc_by_sa', () => t('CC BY-SA (attribution, partage dans les mêmes conditions)', 'CC BY-SA (attribution, share alike)')],
  ['cc_by_nc', () => t('CC BY-NC (attribution, pas d’utilisation commerciale)', 'CC BY-NC (attribution, non-commercial)')],
  ['cc_by_nc_sa', () => t('CC BY-NC-SA (attribution, pas d’utilisation commerciale, partage dans les mêmes conditions)',
    'CC BY-NC-SA (attribution, non-commercial, share alike)')],
  ['cc_by_nd', () => t('CC BY-ND (attribution, pas de modification)', 'CC BY-ND (attribution, no derivatives)')],
  ['cc0', () => t('CC0 (aucun droit réservé)', 'CC0 (no rights reserved)')],
  ['public_domain', () => t('Domaine public', 'Public domain')],
];

function licenceName(code) {
  const found = LICENCES.find(([value]) => value === code);
  return found ? found[1]() : code || '';
}

/**
 * What a refusal means, in words for staff (the server's own message, in English, is shown
 * beside it). Null for codes with nothing more to say than errorMessage().
 */
function explain(code) {
  switch (code) {
    case 'file_too_large':
      return t('Le fichier dépasse 20 Mo : réduisez l’image (ou exportez-la en JPEG) avant de l’envoyer.',
        'The file is over 20 MB: make the image smaller (or export it as JPEG) before sending it.');
    case 'unsupported_image_type':
      return t('Seules les images JPEG, PNG, WebP et GIF sont acceptées. Les photos HEIC d’iPhone doivent d’abord être enregistrées en JPEG.',
        'Only JPEG, PNG, WebP and GIF images are accepted. iPhone HEIC photos must first be saved as JPEG.');
    case 'invalid_filename':
    case 'invalid_medium':
      return t('Le nom du fichier n’est pas accepté (trop long ou caractères spéciaux) : renommez le fichier puis réessayez.',
        'The file name is not accepted (too long or special characters): rename the file and try again.');
    case 'empty_file':
      return t('Le fichier est vide : choisissez une autre image.', 'The file is empty: choose another image.');
    case 'too_many_pixels':
      return t('L’image est trop grande en pixels (au-delà de 40 millions) : réduisez-la avant de l’envoyer.',
        'The image has too many pixels (over 40 million): make it smaller before sending it.');
    case 'polyglot_file':
      return t('Le fichier contient autre chose qu’une image ; réenregistrez-le depuis un logiciel d’images.',
        'The file holds something other than an image; save it again from an image editor.');
    case 'corrupt_image':
      return t('Le fichier est abîmé ou n’est pas vraiment une image : ouvrez-le dans un logiciel d’images et réenregistrez-le.',
        'The file is damaged or is not really an image: open it in an image editor and save it again.');
    case 'missing_parts':
      return t('Une partie du fichier n’est pas arrivée au serveur : réessayez l’envoi.',
        'Part of the file did not reach the server: try sending it again.');
    case 'upload_not_found':
      return t('L’envoi a expiré ou a été interrompu : recommencez-le.', 'The upload expired or was interrupted: start it again.');
    case 'part_out_of_range':
    case 'wrong_part_size':
      return t('Le fichier a changé pendant l’envoi, ou l’envoi s’est mal passé : réessayez.',
        'The file changed while it was being sent, or the upload went wrong: try again.');
    case 'busy':
      return t('Le serveur est occupé : réessayez dans un instant.', 'The server is busy: try again in a moment.');
    case 'medium_not_found':
      return t('Cette image n’existe plus : quelqu’un l’a peut-être supprimée. Rechargez l’écran.',
        'This image no longer exists: someone may have deleted it. Reload the screen.');
    default:
      return null;
  }
}

/** Characters as the server counts them (code points, after trimming; CRLF counts as one). */
function chars(text) {
  return Array.from(String(text || '').replace(/\r\n/g, '\n').trim()).length;
}

/** "2,4 Mo" / "2.4 MB", "350 ko" / "350 KB" (binary units, like the server's 20 MB). */
function formatSize(bytes) {
  const n = Number(bytes) || 0;
  if (n < 1024 * 1024) {
    return t(`${formatNumber(Math.max(1, Math.round(n / 1024)))} ko`, `${formatNumber(Math.max(1, Math.round(n / 1024)))} KB`);
  }
  const mb = new Intl.NumberFormat(t('fr-FR', 'en-GB'), { maximumFractionDigits: 1 }).format(n / (1024 * 1024));
  return t(`${mb} Mo`, `${mb} MB`);
}

function extensionOf(name) {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

/** The refusal the server would give, found before sending anything; null when it looks fine. */
function precheck(file) {
  if (!EXTENSIONS.includes(extensionOf(file.name))) {
    return { code: 'unsupported_image_type', text: explain('unsupported_image_type') };
  }
  if (file.size === 0) return { code: 'empty_file', text: explain('empty_file') };
  if (file.size > MAX_FILE_BYTES) {
    return { code: 'file_too_large',
      text: t(`Le fichier fait ${formatSize(file.size)} ; 20 Mo au plus sont acceptés. Réduisez l’image (ou exportez-la en JPEG) avant de l’envoyer.`,
        `The file is ${formatSize(file.size)}; 20 MB at most are accepted. Make the image smaller (or export it as JPEG) before sending it.`) };
  }
  if (Array.from(file.name).length > MAX_FILENAME_CHARS) {
    return { code: 'invalid_filename',
      text: t(`Le nom du fichier dépasse ${MAX_FILENAME_CHARS} caractères : renommez le fichier puis réessayez.`,
        `The file name is over ${MAX_FILENAME_CHARS} characters: rename the file and try again.`) };
  }
  return null;
}

/** Whether sending the same request again may succeed (parts are idempotent). */
function passing(error) {
  if (!(error instanceof ApiError)) return false;
  return error.code === 'network' || error.code === 'busy' || error.status === 408 || error.status === 429
    || error.status >= 500;
}

/** Waits `ms`, or less if the signal aborts (a cancelled upload does not sit out its delay). */
function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    if (signal) signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

/**
 * The absolute address of a medium's page-sized rendition, for pasting elsewhere: the server's
 * `absolute_url` when it gives one (the public site's address), else this origin + `url`.
 */
function pageAddress(medium) {
  const r = medium.renditions || {};
  const rendition = r.page || r.social || r.thumb;
  if (!rendition) return '';
  if (/^https?:\/\//.test(rendition.absolute_url || '')) return rendition.absolute_url;
  if (!rendition.url) return '';
  return /^https?:\/\//.test(rendition.url) ? rendition.url : `${location.origin}${rendition.url}`;
}

const isUsable = (medium) => (typeof medium.usable === 'boolean' ? medium.usable : Boolean(medium.alt));

export async function render(main, params, ctx) {
  const canEdit = ctx.can('edit');
  const gridTitle = h('h2', { id: 'media-grid-title', tabindex: '-1' }, t('Images, des plus récentes aux plus anciennes', 'Images, newest first'));
  const grid = h('ul', { class: 'cards media-grid', 'aria-labelledby': 'media-grid-title', 'data-testid': 'media-grid' });
  const emptyNote = empty(canEdit
    ? t('La médiathèque est vide pour l’instant : envoyez une première image ci-dessus.', 'The library is empty for now: send a first image above.')
    : t('La médiathèque est vide pour l’instant.', 'The library is empty for now.'));
  emptyNote.hidden = true;
  const more = h('div', { class: 'actions' });
  const shown = new Set(); // ids on screen: a page never adds a card twice

  clear(main);
  append(main,
    pageHeader(t('Médiathèque', 'Media library')),
    h('p', { class: 'hint media-intro' },
      t('Images JPEG, PNG, WebP ou GIF, 20 Mo au plus. La localisation et les autres métadonnées des fichiers sont retirées à l’envoi. Une image ne peut être utilisée qu’une fois son texte alternatif écrit.',
        'JPEG, PNG, WebP or GIF images, 20 MB at most. Location data and other file metadata are removed at upload. An image can be used only once its alt text is written.')),
    canEdit ? uploader() : h('p', { class: 'notice' }, t('Votre rôle permet de consulter la médiathèque, pas de la modifier.',
      'Your role lets you look at the library, not change it.')),
    h('section', { 'aria-labelledby': 'media-grid-title' }, gridTitle, emptyNote, grid, more),
  );

  await loadPage(null);

  // ---- The list -----------------------------------------------------------------------------

  /** Adds a page of the library at the end of the grid; answers the cards added. */
  async function loadPage(before) {
    const path = before === null || before === undefined ? '/api/media' : `/api/media?before=${encodeURIComponent(String(before))}`;
    const data = await api('GET', path);
    const added = [];
    for (const medium of data.media || []) {
      if (shown.has(medium.id)) continue;
      const c = card(medium);
      grid.append(c.element);
      added.push(c);
    }
    syncEmpty();
    clear(more);
    if (data.next !== null && data.next !== undefined && data.next !== '') {
      const next = h('button', { type: 'button', class: 'secondary', 'data-testid': 'media-more' }, t('Plus anciens', 'Older images'));
      const failure = h('div', { class: 'error-box', role: 'alert', hidden: true });
      next.addEventListener('click', () => busy(next, async () => {
        failure.hidden = true;
        const cards = await loadPage(data.next);
        // Keyboard users carry on from the first new image rather than from the top.
        if (cards.length) cards[0].heading.focus();
        else gridTitle.focus();
        announce(cards.length
          ? t(`${cards.length} images plus anciennes affichées.`, `${cards.length} older images shown.`)
          : t('Pas d’image plus ancienne.', 'No older image.'));
      }, {
        onError: (error) => {
          failure.textContent = errorMessage(error);
          failure.hidden = false;
        },
      }));
      more.append(next, failure);
    }
    return added;
  }

  function syncEmpty() {
    emptyNote.hidden = grid.children.length > 0;
  }

  /**
   * One medium's card: thumbnail, facts, and for editors the description form.
   * Returns {element, heading, alt (the textarea, or null)}.
   */
  function card(initial, { fresh = false } = {}) {
    let medium = initial;
    shown.add(medium.id);
    const id = encodeURIComponent(medium.id);
    const headingId = uid('media-name');
    const thumb = (medium.renditions || {}).thumb;
    const img = thumb
      ? h('img', { class: 'media-thumb', 'data-testid': 'media-thumb', src: thumb.url, alt: medium.alt || '',
        width: thumb.width, height: thumb.height, loading: 'lazy', decoding: 'async' })
      : h('div', { class: 'media-thumb media-thumb-none', 'data-testid': 'media-thumb' }, t('Aperçu indisponible', 'No preview'));
    const heading = h('h3', { id: headingId, tabindex: '-1', class: 'media-name' }, medium.filename);
    // Filled only while the alt text is missing, so the badge's presence is the state.
    const missing = h('div', { class: 'media-missing' });
    const facts = h('dl', { class: 'meta-list media-facts' });
    const cardError = h('div', { class: 'error-box', role: 'alert', hidden: true });
    const element = h('li', { class: ['card', 'media-card', fresh && 'media-card-new'], 'data-testid': 'media-card',
      'data-media-id': medium.id });

    const drawFacts = () => {
      clear(facts);
      const rows = [
        [t('Dimensions', 'Size'), t(`${formatNumber(medium.width)} × ${formatNumber(medium.height)} pixels`,
          `${formatNumber(medium.width)} × ${formatNumber(medium.height)} pixels`)],
        [t('Fichier', 'File'), `${String(medium.format || '').toUpperCase()}, ${formatSize(medium.size)}`],
        [t('Crédit', 'Credit'), medium.credit || t('aucun', 'none')],
        [t('Licence', 'Licence'), licenceName(medium.licence)],
        [t('Ajoutée', 'Added'), medium.created_by
          ? t(`le ${formatDate(medium.created_at)} par ${medium.created_by}`, `${formatDate(medium.created_at)} by ${medium.created_by}`)
          : formatDate(medium.created_at)],
      ];
      // Read-only roles see the description as text (editors have it in the form below).
      if (!canEdit) rows.splice(2, 0, [t('Texte alternatif', 'Alt text'), medium.alt || t('(manquant)', '(missing)')]);
      append(facts, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
    };
    /** Shows what the server now holds (after a save). */
    const update = (next) => {
      medium = next;
      if (img.tagName === 'IMG') img.alt = medium.alt || '';
      const usable = isUsable(medium);
      clear(missing);
      if (!usable) {
        missing.append(h('p', null,
          h('span', { class: 'badge badge-missing-alt', 'data-testid': 'media-missing-alt' }, t('Texte alternatif manquant', 'Alt text missing')),
          ' ', h('span', { class: 'hint' }, t('Image inutilisable tant qu’il n’est pas écrit.', 'The image cannot be used until it is written.'))));
      }
      element.dataset.usable = String(usable);
      drawFacts();
    };

    const copyBox = h('div', { class: 'media-copy', hidden: true });
    const copy = h('button', { type: 'button', class: 'secondary small', 'data-testid': 'media-copy',
      'aria-describedby': headingId }, t('Copier l’adresse', 'Copy the address'));
    copy.addEventListener('click', async () => {
      const address = pageAddress(medium);
      const input = h('input', { type: 'text', readonly: true, value: address, class: 'code', 'data-testid': 'media-address' });
      clear(copyBox);
      try {
        await navigator.clipboard.writeText(address);
        append(copyBox, field(t('Adresse copiée :', 'Address copied:'), input));
        announce(t(`Adresse de « ${medium.filename} » copiée.`, `Address of “${medium.filename}” copied.`));
      } catch {
        // No clipboard (permissions, plain http, older browser): select the address instead.
        append(copyBox, field(t('Adresse de l’image (copiez-la avec Ctrl+C ou Cmd+C) :', 'Image address (copy it with Ctrl+C or Cmd+C):'), input));
        input.focus();
        input.select();
        announce(t('Adresse sélectionnée : copiez-la avec Ctrl+C ou Cmd+C.', 'Address selected: copy it with Ctrl+C or Cmd+C.'));
      }
      copyBox.hidden = false;
    });

    let alt = null;
    let form = null;
    if (canEdit) {
      ({ form, alt } = describeForm());
    }
    append(element, img, heading, missing, facts, form, h('div', { class: 'actions media-actions' }, copy,
      canEdit ? deleteButton() : null), copyBox, cardError);
    update(medium);
    return { element, heading, alt };

    function describeForm() {
      const altInput = h('textarea', { name: 'alt', rows: '3', 'data-testid': 'media-alt', autocomplete: 'off' });
      altInput.value = medium.alt || '';
      const counter = h('p', { class: 'counter', id: uid('media-alt-count'), 'data-testid': 'media-alt-count' });
      const altField = field(t('Texte alternatif (obligatoire pour utiliser l’image)', 'Alt text (required to use the image)'), altInput, null, {
        hint: t('Ce que montre l’image, pour qui ne la voit pas (personnes, lieu, texte visible).',
          'What the image shows, for people who cannot see it (people, place, visible text).'),
      });
      altField.insertBefore(counter, altField.querySelector('.field-error'));
      altInput.setAttribute('aria-describedby', `${altInput.getAttribute('aria-describedby')} ${counter.id}`);
      const credit = h('input', { type: 'text', name: 'credit', maxlength: String(MAX_CREDIT_CHARS), autocomplete: 'off',
        'data-testid': 'media-credit', value: medium.credit || '' });
      const licence = h('select', { name: 'licence', 'data-testid': 'media-licence' },
        LICENCES.map(([value, label]) => h('option', { value, selected: value === (medium.licence || 'all_rights_reserved') }, label())));
      const save = h('button', { type: 'submit', class: 'primary small', 'data-testid': 'media-save', 'aria-describedby': headingId },
        t('Enregistrer', 'Save'));
      const dirty = h('p', { class: 'media-dirty', hidden: true }, t('Modifications non enregistrées.', 'Unsaved changes.'));
      // No accessible name on purpose: a named form is a landmark, and fifty of them would
      // bury the page's real landmarks. The card's heading introduces it.
      const f = h('form', { class: 'media-form', novalidate: true },
        altField,
        field(t('Crédit (auteur ou source)', 'Credit (author or source)'), credit),
        field(t('Licence', 'Licence'), licence),
        h('div', { class: 'actions' }, save, dirty));

      // The counter says how much room is left; crossing the limit is announced once, since
      // the counter itself is not a live region (it would talk at every keystroke).
      let wasOver = false;
      const count = () => {
        const n = chars(altInput.value);
        const over = n > MAX_ALT_CHARS;
        counter.textContent = t(`${formatNumber(n)} / ${formatNumber(MAX_ALT_CHARS)} caractères`, `${formatNumber(n)} / ${formatNumber(MAX_ALT_CHARS)} characters`)
          + (over ? t(' (trop long)', ' (too long)') : '');
        counter.classList.toggle('over', over);
        if (over && !wasOver) announce(t('Texte alternatif trop long.', 'Alt text too long.'));
        wasOver = over;
      };
      const sync = () => {
        dirty.hidden = altInput.value === (medium.alt || '') && credit.value === (medium.credit || '')
          && licence.value === (medium.licence || 'all_rights_reserved');
      };
      altInput.addEventListener('input', () => { count(); sync(); });
      credit.addEventListener('input', sync);
      licence.addEventListener('change', sync);
      count();

      f.addEventListener('submit', async (event) => {
        event.preventDefault();
        clearErrors(f);
        const excess = chars(altInput.value) - MAX_ALT_CHARS;
        if (excess > 0) {
          setFieldError(altInput, t(`Trop long de ${formatNumber(excess)} caractère(s) : ${formatNumber(MAX_ALT_CHARS)} au plus.`,
            `${formatNumber(excess)} character(s) too long: ${formatNumber(MAX_ALT_CHARS)} at most.`));
          altInput.focus();
          return;
        }
        if (chars(credit.value) > MAX_CREDIT_CHARS) {
          setFieldError(credit, t(`${MAX_CREDIT_CHARS} caractères au plus.`, `${MAX_CREDIT_CHARS} characters at most.`));
          credit.focus();
          return;
        }
        const sent = { alt: altInput.value, credit: credit.value, licence: licence.value };
        await busy(save, async () => {
          const data = await api('PUT', `/api/media/${id}`, sent);
          const before = isUsable(medium);
          update(data.medium);
          // The server trims and normalises: show its version, unless staff kept typing
          // while the request ran (their new text must not be overwritten).
          if (altInput.value === sent.alt) altInput.value = medium.alt || '';
          if (credit.value === sent.credit) credit.value = medium.credit || '';
          count();
          sync();
          const usable = isUsable(medium);
          announce(usable && !before
            ? t(`« ${medium.filename} » enregistrée : l’image peut maintenant être utilisée.`, `“${medium.filename}” saved: the image can now be used.`)
            : usable ? t(`« ${medium.filename} » enregistrée.`, `“${medium.filename}” saved.`)
              : t(`« ${medium.filename} » enregistrée, toujours sans texte alternatif.`, `“${medium.filename}” saved, still without alt text.`));
        }, {
          onError: (error) => {
            const words = error instanceof ApiError && !error.fields.length ? explain(error.code) : null;
            // Field errors go beside their input (showErrors); known refusals in French.
            showErrors(f, words ? new Error(words) : error);
          },
        });
      });
      return { form: f, alt: altInput };
    }

    function deleteButton() {
      const del = h('button', { type: 'button', class: 'danger small', 'data-testid': 'media-delete', 'aria-describedby': headingId },
        t('Supprimer', 'Delete'));
      del.addEventListener('click', async () => {
        const ok = await confirmDialog(
          t(`Supprimer définitivement « ${medium.filename} » de la médiathèque ? Son adresse cessera de fonctionner partout où l’image est utilisée.`,
            `Delete “${medium.filename}” from the library for good? Its address will stop working wherever the image is used.`),
          { title: t('Supprimer une image', 'Delete an image'), confirmLabel: t('Supprimer', 'Delete'), danger: true });
        if (!ok) return;
        cardError.hidden = true;
        await busy(del, async () => {
          try {
            await api('DELETE', `/api/media/${id}`);
          } catch (error) {
            // Already gone (a colleague deleted it): the card goes all the same.
            if (!(error instanceof ApiError && (error.code === 'medium_not_found' || error.status === 404))) throw error;
          }
          remove();
          announce(t(`Image « ${medium.filename} » supprimée.`, `Image “${medium.filename}” deleted.`));
        }, {
          onError: (error) => {
            cardError.textContent = t(`Suppression impossible : ${explain(error.code) || errorMessage(error)}`,
              `Could not delete: ${explain(error.code) || errorMessage(error)}`);
            cardError.hidden = false;
          },
        });
      });
      return del;
    }

    /** Takes the card away; focus goes to the next card (or the previous, or the list title). */
    function remove() {
      const next = element.nextElementSibling || element.previousElementSibling;
      element.remove();
      shown.delete(medium.id);
      syncEmpty();
      const target = next && next.querySelector('.media-name');
      (target || gridTitle).focus();
    }
  }

  // ---- Uploads ------------------------------------------------------------------------------

  function uploader() {
    const input = h('input', { type: 'file', multiple: true, accept: 'image/jpeg,image/png,image/webp,image/gif',
      'data-testid': 'media-file-input' });
    const dropHint = h('p', { class: 'hint media-drop-hint' },
      t('Vous pouvez aussi glisser-déposer des images dans ce cadre.', 'You can also drag and drop images into this frame.'));
    const zone = h('div', { class: 'media-drop-zone', 'data-testid': 'media-drop-zone' },
      field(t('Choisir des images à envoyer', 'Choose images to send'), input, null,
        { hint: t('Plusieurs à la fois si vous le souhaitez.', 'Several at once if you like.') }),
      dropHint);
    const list = h('ul', { class: 'media-uploads', 'aria-label': t('Envois', 'Uploads'), 'data-testid': 'media-uploads' });
    const section = h('section', { class: 'media-upload-section', 'aria-labelledby': 'media-upload-title' },
      h('h2', { id: 'media-upload-title' }, t('Ajouter des images', 'Add images')), zone, list);

    const waiting = []; // jobs not started yet, in order
    let running = false;

    input.addEventListener('change', () => {
      const files = [...input.files];
      // Cleared so that choosing the same file again (after fixing it) fires "change" again.
      input.value = '';
      enqueue(files);
    });

    // Drag and drop is a convenience for mouse users, through the same enqueue() as the
    // input; the frame says it is ready in words and with a solid border, not by colour alone.
    const hasFiles = (event) => Boolean(event.dataTransfer && [...event.dataTransfer.types].includes('Files'));
    const setOver = (over) => {
      zone.classList.toggle('is-dragover', over);
      dropHint.textContent = over
        ? t('Déposez les images pour les envoyer.', 'Drop the images to send them.')
        : t('Vous pouvez aussi glisser-déposer des images dans ce cadre.', 'You can also drag and drop images into this frame.');
    };
    zone.addEventListener('dragenter', (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      setOver(true);
    });
    zone.addEventListener('dragover', (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = 'copy';
      setOver(true);
    });
    zone.addEventListener('dragleave', (event) => {
      if (!zone.contains(event.relatedTarget)) setOver(false);
    });
    zone.addEventListener('drop', (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      setOver(false);
      enqueue([...event.dataTransfer.files]);
    });
    // A file dropped just beside the frame would make the browser open it and leave the
    // console, losing uploads under way: refuse drops elsewhere while this screen is shown.
    // The listener removes itself at the first drag after the screen has gone.
    const guardDrop = (event) => {
      if (!ctx.isCurrent()) {
        window.removeEventListener('dragover', guardDrop);
        window.removeEventListener('drop', guardDrop);
        return;
      }
      if (!hasFiles(event) || zone.contains(event.target)) return;
      event.preventDefault();
      if (event.type === 'dragover') event.dataTransfer.dropEffect = 'none';
    };
    window.addEventListener('dragover', guardDrop);
    window.addEventListener('drop', guardDrop);

    // Closing or reloading the tab mid-upload loses the file: the browser asks first.
    // (Moving to another console screen does not: the uploads carry on in the background.)
    const guardUnload = (event) => {
      event.preventDefault();
      event.returnValue = '';
    };
    const syncGuard = () => {
      if (running || waiting.length) window.addEventListener('beforeunload', guardUnload);
      else window.removeEventListener('beforeunload', guardUnload);
    };

    function enqueue(files) {
      if (!files.length) return;
      const accepted = [];
      for (const file of files) {
        const job = { file, row: h('li', { class: 'media-upload' }), uploadId: null, cancelled: false, controller: null };
        list.append(job.row);
        const refusal = precheck(file);
        if (refusal) {
          showJobError(job, refusal.code, refusal.text, null, false);
        } else {
          accepted.push(job);
        }
      }
      if (!accepted.length) return;
      for (const job of accepted) {
        drawWaiting(job);
        waiting.push(job);
      }
      // One announcement for the batch; each file's end is announced on its own.
      announce(accepted.length === 1
        ? t(`Envoi de « ${accepted[0].file.name} » commencé.`, `Sending “${accepted[0].file.name}” started.`)
        : t(`Envoi de ${accepted.length} images commencé, l’une après l’autre.`, `Sending ${accepted.length} images started, one after the other.`));
      pump();
    }

    async function pump() {
      if (running) return;
      running = true;
      syncGuard();
      try {
        while (waiting.length) await run(waiting.shift());
      } finally {
        running = false;
        syncGuard();
      }
    }

    // -- One file's rows: waiting / sending / processing, then gone (success) or an error.

    function drawWaiting(job) {
      const progressId = uid('media-progress');
      const labelId = `${progressId}-label`;
      job.progress = h('progress', { id: progressId, 'data-testid': 'media-progress', 'data-filename': job.file.name,
        'aria-describedby': `${progressId}-status` });
      job.status = h('p', { class: 'media-upload-status', id: `${progressId}-status` }, t('En attente…', 'Waiting…'));
      job.cancel = h('button', { type: 'button', class: 'secondary small', 'data-testid': 'media-cancel' },
        t('Annuler l’envoi', 'Cancel the upload'), h('span', { class: 'visually-hidden' }, ` ${job.file.name}`));
      job.cancel.addEventListener('click', () => cancel(job));
      clear(job.row);
      job.row.removeAttribute('data-state');
      append(job.row,
        h('label', { for: progressId, id: labelId, class: 'media-upload-name' }, job.file.name),
        job.progress, job.status, h('div', { class: 'actions' }, job.cancel));
    }

    function setProgress(job, done, total) {
      job.progress.max = total;
      job.progress.value = done;
      job.progress.textContent = `${done} / ${total}`;
      const sent = Math.min(job.file.size, done * job.partSize);
      const pct = Math.floor((done / total) * 100);
      job.status.textContent = t(`Envoi : ${pct} % (${formatSize(sent)} sur ${formatSize(job.file.size)})`,
        `Sending: ${pct}% (${formatSize(sent)} of ${formatSize(job.file.size)})`);
    }

    /**
     * Replaces a file's row with its error: what happened in words, the server's message
     * (English) when there is one, and "Try again" when trying again can help.
     */
    function showJobError(job, code, text, serverMessage, retryable) {
      const hadFocus = job.row.contains(document.activeElement);
      const dismiss = h('button', { type: 'button', class: 'secondary small', 'data-testid': 'media-dismiss' },
        t('Fermer', 'Dismiss'), h('span', { class: 'visually-hidden' }, ` ${job.file.name}`));
      dismiss.addEventListener('click', () => {
        job.row.remove();
        input.focus();
      });
      const retry = retryable ? h('button', { type: 'button', class: 'secondary small', 'data-testid': 'media-retry' },
        t('Réessayer', 'Try again'), h('span', { class: 'visually-hidden' }, ` ${job.file.name}`)) : null;
      if (retry) {
        retry.addEventListener('click', () => {
          Object.assign(job, { uploadId: null, cancelled: false, controller: null, hadFocus: false });
          drawWaiting(job);
          job.cancel.focus();
          waiting.push(job);
          announce(t(`Nouvel envoi de « ${job.file.name} ».`, `Sending “${job.file.name}” again.`));
          pump();
        });
      }
      clear(job.row);
      job.row.dataset.state = 'error';
      job.row.append(h('div', { class: 'error-box', role: 'alert', 'data-testid': 'media-error', 'data-code': code,
        'data-filename': job.file.name },
      h('p', null, h('strong', null, job.file.name), ' — ', t('non ajoutée.', 'not added.')),
      h('p', null, text),
      serverMessage ? h('p', { class: 'hint' }, t('Message du serveur : ', 'Server message: '), h('span', { lang: 'en' }, serverMessage)) : null,
      h('div', { class: 'actions' }, retry, dismiss)));
      if (hadFocus) (retry || dismiss).focus();
    }

    function failed(job, error) {
      const code = error instanceof ApiError ? error.code : 'error';
      const words = error instanceof ApiError ? explain(code) : null;
      let text = words || errorMessage(error);
      // The request that makes the medium may have succeeded even though its answer was lost.
      if (job.stage === 'processing' && (code === 'network' || (error instanceof ApiError && error.status >= 500))) {
        text += t(' Si l’image apparaît dans la médiathèque après un rechargement de l’écran, inutile de la renvoyer.',
          ' If the image shows in the library after reloading the screen, there is no need to send it again.');
      }
      const serverMessage = words && error instanceof ApiError && error.status > 0 ? error.message : null;
      // Refusals of the file itself will be refused again; everything else may pass next time.
      const refusedFile = ['file_too_large', 'unsupported_image_type', 'invalid_filename', 'invalid_medium', 'empty_file',
        'too_many_pixels', 'polyglot_file', 'corrupt_image', 'forbidden', 'csrf'].includes(code);
      showJobError(job, code, text, serverMessage, !refusedFile);
    }

    function cancel(job) {
      // Noted before disabling the button, which takes focus away from it.
      job.hadFocus = job.row.contains(document.activeElement);
      job.cancelled = true;
      job.cancel.disabled = true;
      job.status.textContent = t('Annulation…', 'Cancelling…');
      if (job.controller) job.controller.abort();
      const at = waiting.indexOf(job);
      if (at >= 0) {
        // Not started: nothing to tell the server.
        waiting.splice(at, 1);
        finishCancel(job);
        syncGuard();
      }
      // Otherwise run() sees the flag, tells the server and calls finishCancel().
    }

    function finishCancel(job) {
      const hadFocus = job.hadFocus || job.row.contains(document.activeElement);
      job.row.remove();
      if (hadFocus) input.focus();
      announce(t(`Envoi de « ${job.file.name} » annulé.`, `Upload of “${job.file.name}” cancelled.`));
    }

    /** Tells the server to forget an upload (best effort: an upload left over expires). */
    async function abandon(job) {
      if (!job.uploadId) return;
      const uploadId = job.uploadId;
      job.uploadId = null;
      try {
        await api('DELETE', `/api/media/uploads/${encodeURIComponent(uploadId)}`);
      } catch (error) {
        console.warn('upload not abandoned', uploadId, error);
      }
    }

    // -- The requests for one file.

    async function run(job) {
      job.controller = new AbortController();
      job.stage = 'starting';
      job.status.textContent = t('Préparation de l’envoi…', 'Preparing the upload…');
      try {
        // Not abortable and not sent twice: a start whose answer is lost would leave an
        // upload nobody knows the id of. Cancelling waits for its answer, then abandons it.
        const started = await api('POST', '/api/media/uploads', { filename: job.file.name, size: job.file.size });
        const upload = started.upload;
        job.uploadId = upload.id;
        job.partSize = Number(upload.part_size);
        job.parts = Number(upload.parts);
        if (job.cancelled) throw new ApiError(0, 'aborted', 'cancelled');

        job.stage = 'sending';
        await sendParts(job);

        job.stage = 'processing';
        let medium;
        try {
          medium = await complete(job);
        } catch (error) {
          // A part the server lost: send them all again (harmless) and complete once more.
          if (!(error instanceof ApiError && error.code === 'missing_parts')) throw error;
          job.stage = 'sending';
          showCancel(job, true);
          await sendParts(job);
          job.stage = 'processing';
          medium = await complete(job);
        }
        job.uploadId = null; // completed: the server has forgotten the upload itself
        succeeded(job, medium);
      } catch (error) {
        await abandon(job);
        if (job.cancelled) finishCancel(job);
        else failed(job, error);
      }
    }

    function showCancel(job, visible) {
      if (!visible && job.row.contains(document.activeElement)) input.focus();
      job.cancel.hidden = !visible;
    }

    async function sendParts(job) {
      const queue = Array.from({ length: job.parts }, (_, n) => n);
      let done = 0;
      let failure = null;
      setProgress(job, 0, job.parts);
      const worker = async () => {
        while (queue.length && !failure && !job.cancelled) {
          const n = queue.shift();
          try {
            await sendPart(job, n);
          } catch (error) {
            if (!failure) failure = error;
            // Stop the other part in flight: the file has failed, its bytes are wasted.
            job.controller.abort();
            return;
          }
          done += 1;
          setProgress(job, done, job.parts);
        }
      };
      await Promise.all(Array.from({ length: Math.min(PART_CONCURRENCY, job.parts) }, worker));
      if (job.cancelled) throw new ApiError(0, 'aborted', 'cancelled');
      if (failure) throw failure;
    }

    async function sendPart(job, n) {
      const start = n * job.partSize;
      const bytes = job.file.slice(start, Math.min(start + job.partSize, job.file.size));
      const path = `/api/media/uploads/${encodeURIComponent(job.uploadId)}/parts/${n}`;
      for (let attempt = 0; ; attempt += 1) {
        try {
          await sendBytes('PUT', path, bytes, { signal: job.controller.signal });
          return;
        } catch (error) {
          if (job.cancelled || !passing(error) || attempt >= RETRY_DELAYS.length) throw error;
          job.status.textContent = t('Connexion instable, nouvel essai…', 'Unsteady connection, trying again…');
          const wait = error.retryAfter > 0 ? Math.min(error.retryAfter * 1000, 30000) : RETRY_DELAYS[attempt];
          await sleep(wait, job.controller.signal);
          if (job.cancelled) throw error;
        }
      }
    }

    async function complete(job) {
      showCancel(job, false); // the server is decoding: too late to cancel
      job.progress.value = job.parts;
      job.status.textContent = t('Traitement de l’image… (quelques secondes)', 'Processing the image… (a few seconds)');
      const data = await api('POST', `/api/media/uploads/${encodeURIComponent(job.uploadId)}/complete`, {});
      return data.medium;
    }

    function succeeded(job, medium) {
      // Focus goes to the new alt text so staff write it right away, unless they are already
      // typing somewhere else (another card's alt text while a batch finishes), or the
      // screen has gone: stealing focus mid-sentence would be worse than a missing jump.
      const active = document.activeElement;
      const typingElsewhere = active && active !== document.body && !section.contains(active)
        && (active.matches('input, textarea, select, [contenteditable]') || active.closest('dialog'));
      job.row.remove();
      if (shown.has(medium.id)) return; // already listed (a page loaded meanwhile)
      const c = card(medium, { fresh: true });
      grid.prepend(c.element);
      syncEmpty();
      if (ctx.isCurrent() && !typingElsewhere && c.alt) c.alt.focus();
      announce(t(`« ${medium.filename} » ajoutée à la médiathèque. Écrivez son texte alternatif.`,
        `“${medium.filename}” added to the library. Write its alt text.`));
    }

    return section;
  }
}
