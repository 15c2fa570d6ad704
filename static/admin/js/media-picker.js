// The Médiathèque picker: a modal dialog listing the media library as a grid of buttons, for
// every form that takes an image (the composer first). Picking a medium closes the dialog and
// answers it; Escape or "Fermer" answers null. Focus goes back to the button that opened it
// (openDialog in ui.js), the rest of the page is inert meanwhile (showModal).
//
// API: GET /api/media[?before=cursor] → {media: [Medium…], next} (newest first, pages of 50);
// GET /api/media/:id → {medium}. A Medium: {id, filename, width, height, alt, credit, licence,
// usable (has alt text), renditions: {thumb: {url, width, height}, page, social}}.
//
// Media without alt text are listed too, marked "Texte alternatif manquant": picking one is
// allowed, the form then asks for the description (nothing to pre-fill).

import { api } from './api.js';
import { t } from './i18n.js';
import { h, clear, append, announce, busy, errorMessage, openDialog, uid } from './ui.js';

/** Whether a medium has its alt text (the API's `usable`, else the alt itself). */
export function isUsable(medium) {
  if (!medium) return false;
  return typeof medium.usable === 'boolean' ? medium.usable : Boolean(medium.alt);
}

/**
 * A medium's thumbnail {url, width, height}: its `thumb` rendition, else the address every
 * medium's thumbnail has (/media/<id>/thumb.jpg, same origin), without dimensions.
 */
export function thumbnailOf(medium) {
  const thumb = medium && medium.renditions && medium.renditions.thumb;
  if (thumb && thumb.url) return { url: thumb.url, width: thumb.width || null, height: thumb.height || null };
  if (medium && medium.id) return { url: `/media/${encodeURIComponent(medium.id)}/thumb.jpg`, width: null, height: null };
  return null;
}

/**
 * One medium by id (GET /api/media/:id): the medium, or null when it no longer exists (404).
 * Other failures are thrown (a 401 has already sent the browser to the sign-in page).
 */
export async function fetchMedium(id) {
  try {
    const data = await api('GET', `/api/media/${encodeURIComponent(id)}`);
    return (data && data.medium) || null;
  } catch (error) {
    if (error && (error.status === 404 || error.code === 'not_found' || error.code === 'medium_not_found')) return null;
    throw error;
  }
}

/**
 * Opens the picker. Resolves with the chosen medium (as the API lists it) or null.
 *
 * options.title: the dialog's title (default "Choisir une image de la médiathèque");
 * options.intro: an extra sentence under the title (what the image is for).
 */
export function pickMedium(options = {}) {
  const introId = uid('media-picker-intro');
  const gridTitleId = uid('media-picker-grid');
  const shown = new Set(); // ids on screen: a page never adds a button twice
  let closeButton = null;

  return openDialog({
    title: options.title || t('Choisir une image de la médiathèque', 'Choose an image from the media library'),
    testid: 'media-picker',
    className: 'media-picker',
    submitLabel: false,
    cancelLabel: t('Fermer', 'Close'),
    describedBy: introId,
    content: (close) => {
      const grid = h('ul', { class: 'media-picker-grid', 'aria-labelledby': gridTitleId, 'data-testid': 'media-picker-grid' });
      const status = h('p', { class: 'loading', role: 'status' }, t('Chargement de la médiathèque…', 'Loading the media library…'));
      const emptyNote = h('p', { class: 'empty', hidden: true, 'data-testid': 'media-picker-empty' },
        t('La médiathèque est vide pour l’instant.', 'The library is empty for now.'));
      const failure = h('div', { class: 'error-box', role: 'alert', hidden: true, 'data-testid': 'media-picker-error' });
      const more = h('div', { class: 'actions' });

      /** One medium's button: its thumbnail (decorative), file name, alt text or the missing badge. */
      const item = (medium) => {
        shown.add(medium.id);
        const usable = isUsable(medium);
        const thumb = thumbnailOf(medium);
        const pick = h('button', { type: 'button', class: 'media-pick', 'data-testid': 'media-picker-item',
          'data-media-id': medium.id, 'data-usable': String(usable) },
        // The button's text names it (alt text, file name): the thumbnail adds nothing for a
        // screen reader, hence alt="".
        thumb ? h('img', { class: 'media-pick-thumb', src: thumb.url, alt: '', width: thumb.width, height: thumb.height,
          loading: 'lazy', decoding: 'async',
          // A thumbnail that does not load leaves an empty frame, not a broken-image icon.
          onerror: (event) => { event.target.replaceWith(h('span', { class: 'media-pick-thumb' })); } })
          : h('span', { class: 'media-pick-thumb' }),
        h('span', { class: 'media-pick-name' }, medium.filename || t('Image sans nom', 'Unnamed image')),
        usable
          ? h('span', { class: 'media-pick-alt' }, medium.alt)
          : h('span', { class: 'badge badge-missing-alt', 'data-testid': 'media-picker-missing-alt' },
            t('Texte alternatif manquant', 'Alt text missing')));
        pick.addEventListener('click', () => close(medium));
        return h('li', null, pick);
      };

      /** Adds a page at the end of the grid; answers the buttons added. */
      const loadPage = async (before) => {
        const path = before === null || before === undefined ? '/api/media' : `/api/media?before=${encodeURIComponent(String(before))}`;
        const data = await api('GET', path);
        const added = [];
        for (const medium of (data && data.media) || []) {
          if (!medium || !medium.id || shown.has(medium.id)) continue;
          const li = item(medium);
          grid.append(li);
          added.push(li.firstChild);
        }
        emptyNote.hidden = grid.children.length > 0;
        clear(more);
        const next = data ? data.next : null;
        if (next !== null && next !== undefined && next !== '') {
          const older = h('button', { type: 'button', class: 'secondary', 'data-testid': 'media-picker-more' },
            t('Plus anciens', 'Older images'));
          older.addEventListener('click', () => busy(older, async () => {
            failure.hidden = true;
            const buttons = await loadPage(next);
            // Keyboard users carry on from the first new image rather than from the top.
            if (buttons.length) buttons[0].focus();
            else if (closeButton) closeButton.focus();
            announce(buttons.length
              ? t(`${buttons.length} images plus anciennes affichées.`, `${buttons.length} older images shown.`)
              : t('Pas d’image plus ancienne.', 'No older image.'));
          }, {
            onError: (error) => {
              failure.textContent = errorMessage(error);
              failure.hidden = false;
            },
          }));
          more.append(older);
        }
        return added;
      };

      const first = async () => {
        failure.hidden = true;
        clear(failure);
        try {
          const buttons = await loadPage(null);
          status.textContent = buttons.length
            ? t(`${buttons.length} images affichées, des plus récentes aux plus anciennes.`, `${buttons.length} images shown, newest first.`)
            : t('La médiathèque est vide.', 'The library is empty.');
          status.className = 'visually-hidden';
          // Still on "Fermer", where the dialog put it: go to the first image.
          if (buttons.length && closeButton && document.activeElement === closeButton) buttons[0].focus();
        } catch (error) {
          status.hidden = true;
          const retry = h('button', { type: 'button', class: 'secondary small', 'data-testid': 'media-picker-retry' },
            t('Réessayer', 'Try again'));
          retry.addEventListener('click', () => {
            status.hidden = false;
            status.className = 'loading';
            status.textContent = t('Chargement de la médiathèque…', 'Loading the media library…');
            if (closeButton) closeButton.focus();
            first();
          });
          append(failure, h('p', null, t('La médiathèque n’a pas pu être chargée : ', 'The media library could not be loaded: '),
            errorMessage(error)), h('div', { class: 'actions' }, retry));
          failure.hidden = false;
        }
      };

      // After openDialog has built and opened the dialog (the content is made first).
      setTimeout(() => {
        const dialog = grid.closest('dialog');
        closeButton = dialog ? dialog.querySelector('[data-testid="media-picker-cancel"]') : null;
        first();
      }, 0);

      return [
        h('div', { id: introId },
          options.intro ? h('p', null, options.intro) : null,
          h('p', { class: 'hint' },
            t('Choisissez une image : son texte alternatif est repris dans le formulaire, où vous pouvez l’adapter. Les images marquées « Texte alternatif manquant » peuvent être choisies, mais vous devrez alors écrire leur description vous-même.',
              'Choose an image: its alt text is copied into the form, where you can adapt it. Images marked “Alt text missing” can be chosen, but you will then have to write their description yourself.'))),
        // A new tab, so that the form being written here is not lost.
        h('p', { class: 'media-picker-upload' },
          h('a', { href: '#/media', target: '_blank', rel: 'noopener', 'data-testid': 'media-picker-upload' },
            t('Ajouter des images à la médiathèque (nouvel onglet)', 'Add images to the media library (new tab)')),
          ' ', h('span', { class: 'hint' }, t('Rouvrez ensuite ce choix pour voir les nouvelles images.',
            'Then open this choice again to see the new images.'))),
        h('h3', { id: gridTitleId, class: 'media-picker-title' }, t('Images, des plus récentes aux plus anciennes', 'Images, newest first')),
        status, failure, emptyNote, grid, more,
      ];
    },
  });
}

/**
 * An image field's library side, for the forms other than the composer (showcases and their
 * items, events, polls, tutorial steps): a "Choisir dans la médiathèque" button; once a medium
 * is picked, its thumbnail (decorative: the file name says what it is) and name take the place
 * of the address fields, its alt text is copied into the form's alt input (editable: the alt
 * text belongs to the place the image is shown), and "Utiliser une adresse" or "Retirer" go
 * back to an outside address. Focus returns to the button that opened the picker (openDialog),
 * or goes to the alt input when the medium has no description to copy.
 *
 * options.label: what the image is ("Couverture", "Image 2"), in the buttons' accessible names;
 * options.alt: the alt text input; options.urlParts: the address mode's elements (their
 * fields), hidden while a medium is chosen; options.urlInput: focused by "Utiliser une adresse";
 * options.medium: the stored medium id, or null; options.testid: a prefix for data-testid;
 * options.onChange: called after every change.
 * Returns {element, box, mediumId(), clear()}: `box` is where errors on `….medium` land (give
 * it the data-field or data-rel of that path).
 */
export function libraryImage(options) {
  const { label, alt, urlParts = [], urlInput = null, testid = 'library-image', onChange = () => {} } = options;
  let mediumId = null;
  const labelId = uid('library-image-label');
  const thumb = h('img', { class: 'image-medium-thumb', alt: '', hidden: true, decoding: 'async' });
  const noThumb = h('span', { class: 'image-medium-thumb image-medium-thumb-none', hidden: true },
    t('Aperçu indisponible', 'No preview'));
  thumb.addEventListener('error', () => {
    if (!thumb.getAttribute('src')) return;
    thumb.hidden = true;
    noThumb.hidden = false;
  });
  const name = h('p', { class: 'image-medium-name', 'data-testid': `${testid}-name` });
  const gone = h('p', { class: 'image-medium-gone', hidden: true, 'data-testid': `${testid}-gone` },
    t('Cette image n’est plus dans la médiathèque : choisissez-en une autre ou retirez-la.',
      'This image is no longer in the media library: choose another one or remove it.'));
  const useAddress = h('button', { type: 'button', class: 'secondary small', 'data-testid': `${testid}-use-url` },
    t('Utiliser une adresse', 'Use an address'), h('span', { class: 'visually-hidden' }, ` (${label})`));
  const remove = h('button', { type: 'button', class: 'secondary small', 'data-testid': `${testid}-remove` },
    t('Retirer', 'Remove'), h('span', { class: 'visually-hidden' }, ` (${label})`));
  const box = h('div', { class: 'image-medium', id: uid('library-image-medium'), role: 'group', 'aria-labelledby': labelId,
    tabindex: '-1', hidden: true, 'data-testid': `${testid}-medium` },
  h('p', { class: 'image-medium-label', id: labelId }, t(`${label} : de la médiathèque`, `${label}: from the media library`)),
  h('div', { class: 'image-medium-body' }, thumb, noThumb,
    h('div', { class: 'image-medium-text' }, name, gone, h('div', { class: 'actions' }, useAddress, remove))));
  const pick = h('button', { type: 'button', class: 'secondary small image-pick', 'aria-haspopup': 'dialog',
    'data-testid': `${testid}-pick` },
  t('Choisir dans la médiathèque', 'Choose from the media library'),
  h('span', { class: 'visually-hidden' }, ` (${label})`));

  const show = (record) => {
    mediumId = record.id;
    box.hidden = false;
    for (const part of urlParts) part.hidden = true;
    name.textContent = record.filename || record.id;
    gone.hidden = !record.missing;
    const small = record.thumb;
    thumb.hidden = !small || record.missing;
    noThumb.hidden = !thumb.hidden;
    if (small && !record.missing) {
      thumb.src = small.url;
      if (small.width) thumb.width = small.width; else thumb.removeAttribute('width');
      if (small.height) thumb.height = small.height; else thumb.removeAttribute('height');
    }
  };
  const toAddress = () => {
    mediumId = null;
    box.hidden = true;
    for (const part of urlParts) part.hidden = false;
    thumb.removeAttribute('src');
  };

  pick.addEventListener('click', async () => {
    const medium = await pickMedium({
      title: t(`${label} : choisir dans la médiathèque`, `${label}: choose from the media library`),
    });
    if (!medium || !pick.isConnected) return;
    const same = mediumId === medium.id;
    show({ id: medium.id, filename: medium.filename, thumb: thumbnailOf(medium), missing: false });
    // The library's description, to adapt to this place; the same image picked again keeps
    // what was written for it here.
    const usable = isUsable(medium) && medium.alt;
    if (!(same && alt.value.trim())) {
      alt.value = usable ? medium.alt : '';
    }
    onChange();
    if (usable) {
      announce(t(`${label} : « ${medium.filename || medium.id} » choisie, texte alternatif repris de la médiathèque.`,
        `${label}: “${medium.filename || medium.id}” chosen, alt text taken from the media library.`));
    } else {
      alt.focus();
      announce(t(`${label} : « ${medium.filename || medium.id} » choisie. Elle n’a pas de texte alternatif : écrivez-le.`,
        `${label}: “${medium.filename || medium.id}” chosen. It has no alt text: write it.`));
    }
  });
  useAddress.addEventListener('click', () => {
    toAddress();
    onChange();
    (urlInput || pick).focus();
    announce(t(`${label} : adresse d’une image extérieure.`, `${label}: address of an outside image.`));
  });
  remove.addEventListener('click', () => {
    toAddress();
    // The image is gone, so is what described it here (as the composer's "Retirer" does).
    alt.value = '';
    onChange();
    pick.focus();
    announce(t(`${label} : image retirée.`, `${label}: image removed.`));
  });

  // A stored medium: its name and thumbnail from the library, or that it was deleted.
  if (options.medium) {
    const id = options.medium;
    show({ id, filename: null, thumb: thumbnailOf({ id }), missing: false });
    fetchMedium(id).then((medium) => {
      if (mediumId !== id) return;
      show(medium
        ? { id, filename: medium.filename, thumb: thumbnailOf(medium), missing: false }
        : { id, filename: null, thumb: null, missing: true });
    }).catch(() => { /* the name stays the id: the form still works */ });
  }

  const element = h('div', { class: 'image-source' }, h('p', { class: 'image-pick' }, pick), box);
  return { element, box, mediumId: () => mediumId, clear: () => { toAddress(); onChange(); } };
}
