// Tutorials: step-by-step guides to the library's digital services. The staff list, creation,
// the editor (a Markdown text per step with a live preview), saving with protection against
// overwriting someone else's save, the history of versions and their restoration,
// publication now or at a date, and what patrons answered ("was this helpful?").
//
// Routes: #/tutorials, #/tutorials?new=1, #/tutorials/:slug.
// API: components/tutorials/src/api.rs; request shape TutorialRequest in
// crates/kiosque-domain/src/tutorials/model.rs. Error paths name steps from 1
// ("steps[1].text" is the first step), so the step inputs use that numbering in data-field.
//
// The preview HTML comes from POST /api/tutorials/preview, the server's own safe Markdown
// renderer (the one the public pages use): it is the only HTML the console inserts with
// innerHTML. Everything else from the API is text.

import { api, ApiError } from '../api.js';
import { t, formatDateTime, formatNumber, timeZoneLabel } from '../i18n.js';
import {
  h, field, showErrors, announce, confirmDialog, openDialog, clearErrors, setFieldError, clear,
  pageHeader, loading, errorBox, errorMessage, empty, badge, busy, uid, append
} from '../ui.js';
import { libraryImage } from '../media-picker.js';

const LEVELS = {
  beginner: () => t('Débutant', 'Beginner'),
  intermediate: () => t('Intermédiaire', 'Intermediate'),
  advanced: () => t('Avancé', 'Advanced'),
};

const MAX_STEPS = 30;
/** Milliseconds of typing pause before the preview is asked for: one request per pause, not per key. */
const PREVIEW_DELAY = 400;

const label = (table, key) => (table[key] ? table[key]() : key);

/** "Emprunter un livre numérique" → "emprunter-un-livre-numerique". */
function slugify(text) {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60).replace(/-+$/, '');
}

/** Where a tutorial stands for patrons: ['draft'|'scheduled'|'published', text]. */
function publicationState(publishedAt) {
  if (!publishedAt) return ['draft', t('Brouillon', 'Draft')];
  if (Date.parse(publishedAt) > Date.now()) {
    return ['scheduled', t(`Programmé le ${formatDateTime(publishedAt)}`, `Scheduled for ${formatDateTime(publishedAt)}`)];
  }
  return ['published', t('Publié', 'Published')];
}

class LocalError extends Error {
  constructor(input, message) {
    super(message);
    this.input = input;
  }
}

export async function render(main, params, ctx) {
  if (params.slug) return renderDetail(main, params.slug, ctx);
  if (params.new !== undefined && ctx.can('edit')) return renderCreate(main, ctx);
  return renderList(main, ctx);
}

// ---- List ----------------------------------------------------------------------------------

async function renderList(main, ctx) {
  append(main, pageHeader(t('Tutoriels', 'Tutorials'),
    ctx.can('edit') ? h('a', { href: '#/tutorials?new=1', class: 'button primary', 'data-testid': 'tutorial-new' },
      t('Nouveau tutoriel', 'New tutorial')) : null));
  const placeholder = loading();
  main.append(placeholder);
  const data = await api('GET', '/api/tutorials');
  placeholder.remove();
  const entries = data.tutorials.map((e) => e.tutorial)
    .sort((a, b) => Date.parse(b.updated_at) - Date.parse(a.updated_at));
  if (!entries.length) {
    main.append(empty(t('Aucun tutoriel pour l’instant.', 'No tutorial yet.')));
    return;
  }
  main.append(h('div', { class: 'table-scroll' }, h('table', { 'data-testid': 'tutorial-list' },
    h('caption', { class: 'visually-hidden' }, t('Tutoriels, du dernier modifié au plus ancien', 'Tutorials, most recently changed first')),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, t('Titre', 'Title')),
      h('th', { scope: 'col' }, t('Service', 'Service')),
      h('th', { scope: 'col' }, t('Langue', 'Language')),
      h('th', { scope: 'col', class: 'num' }, t('Étapes', 'Steps')),
      h('th', { scope: 'col', class: 'num' }, t('Version', 'Version')),
      h('th', { scope: 'col' }, t('État', 'State')),
      h('th', { scope: 'col' }, t('Modifié le', 'Changed on')))),
    h('tbody', null, entries.map((e) => {
      const [kind, text] = publicationState(e.published_at);
      return h('tr', { 'data-testid': 'tutorial-row' },
        h('th', { scope: 'row' }, h('a', { href: `#/tutorials/${encodeURIComponent(e.slug)}` }, e.title)),
        h('td', null, e.service.name),
        h('td', null, e.lang === 'en' ? 'English' : 'Français'),
        h('td', { class: 'num' }, String(e.steps)),
        h('td', { class: 'num' }, String(e.version)),
        h('td', null, badge(text, kind)),
        h('td', null, formatDateTime(e.updated_at)));
    })))));
}

// ---- The editor ----------------------------------------------------------------------------

/**
 * The tutorial form: the tutorial's fields and its steps. `tutorial` null for a new one.
 * Returns {form, read(), submit, isDirty(), markClean()}; read() builds a TutorialRequest
 * (without slug or if_version) or throws LocalError.
 */
function tutorialForm(tutorial, { create, blocks }) {
  const tu = tutorial || { lang: 'fr', level: 'beginner', service: {}, tags: [], steps: [{ text: '' }] };
  let dirty = false;
  const form = h('form', { class: 'form wide', novalidate: true, 'data-testid': 'tutorial-form' });
  form.addEventListener('input', () => { dirty = true; });

  const input = (name, value, attrs = {}) => h('input', { type: 'text', name, 'data-field': name, value: value ?? '', ...attrs });
  const slug = create ? input('slug', '', { required: true, maxlength: '60', 'data-testid': 'tutorial-slug' }) : null;
  const title = input('title', tu.title, { required: true, maxlength: '120' });
  if (slug) {
    // The address follows the title until staff type one themselves.
    title.addEventListener('input', () => { if (!slug.dataset.touched) slug.value = slugify(title.value); });
    slug.addEventListener('input', () => { slug.dataset.touched = '1'; });
  }
  const lang = h('select', { name: 'lang', 'data-field': 'lang' },
    h('option', { value: 'fr', selected: tu.lang !== 'en' }, 'Français'),
    h('option', { value: 'en', selected: tu.lang === 'en' }, 'English'));
  const summary = h('textarea', { name: 'summary', 'data-field': 'summary', rows: '3', maxlength: '400', required: true });
  summary.value = tu.summary || '';
  const audience = input('audience', tu.audience, { maxlength: '80' });
  const level = h('select', { name: 'level', 'data-field': 'level' },
    Object.keys(LEVELS).map((key) => h('option', { value: key, selected: (tu.level || 'beginner') === key }, label(LEVELS, key))));
  const minutes = input('estimated_minutes', tu.estimated_minutes, { type: 'number', min: '1', max: '600' });
  const serviceName = input('service_name', tu.service.name, { 'data-field': 'service.name', required: true, maxlength: '80' });
  const serviceUrl = input('service_url', tu.service.url, { type: 'url', 'data-field': 'service.url', required: true });
  const tags = input('tags', (tu.tags || []).join(', '));
  const translation = input('translation', tu.translation, { maxlength: '60' });

  // Steps.
  const blockList = uid('blocks');
  const stepsBox = h('fieldset', { 'data-field': 'steps', tabindex: '-1', class: 'steps' },
    h('legend', null, t('Étapes', 'Steps')));
  const stepList = h('ol', { class: 'step-list', 'data-testid': 'tutorial-steps' });
  const addStep = h('button', { type: 'button', class: 'secondary', 'data-testid': 'tutorial-step-add' }, t('Ajouter une étape', 'Add a step'));
  const steps = [];

  const renumber = () => {
    steps.forEach((s, i) => {
      const n = i + 1;
      // API error paths count steps from 1.
      s.box.dataset.field = `steps[${n}]`;
      for (const el of s.box.querySelectorAll('[data-rel]')) el.dataset.field = `steps[${n}].${el.dataset.rel}`;
      s.legend.textContent = t(`Étape ${n}`, `Step ${n}`);
      s.preview.setAttribute('aria-label', t(`Aperçu de l’étape ${n}`, `Preview of step ${n}`));
      s.preview.dataset.testid = `tutorial-step-preview-${i}`;
      s.text.dataset.testid = `tutorial-step-text-${i}`;
      s.up.disabled = i === 0;
      s.down.disabled = i === steps.length - 1;
      s.remove.disabled = steps.length === 1;
      for (const [button, fr, en] of [[s.up, 'Monter', 'Move up'], [s.down, 'Descendre', 'Move down'], [s.remove, 'Retirer', 'Remove']]) {
        clear(button);
        button.append(t(fr, en), h('span', { class: 'visually-hidden' }, t(` l’étape ${n}`, ` step ${n}`)));
      }
    });
    addStep.disabled = steps.length >= MAX_STEPS;
  };

  const moveStep = (s, delta, control) => {
    const from = steps.indexOf(s);
    const to = from + delta;
    if (to < 0 || to >= steps.length) return;
    steps.splice(from, 1);
    steps.splice(to, 0, s);
    // Re-append every step in the new order (moving one node would do, this is simpler to read).
    for (const step of steps) stepList.append(step.li);
    renumber();
    dirty = true;
    const target = s[control].disabled ? s[control === 'up' ? 'down' : 'up'] : s[control];
    target.focus();
    announce(t(`Étape déplacée en position ${to + 1} sur ${steps.length}.`, `Step moved to position ${to + 1} of ${steps.length}.`));
  };

  const makeStep = (step) => {
    const st = step || {};
    const rel = (r, el) => { el.dataset.rel = r; return el; };
    const stepTitle = rel('title', h('input', { type: 'text', maxlength: '120', value: st.title || '' }));
    const text = rel('text', h('textarea', { rows: '10', maxlength: '6000', class: 'markdown' }));
    text.value = st.text || '';
    const block = rel('block', h('input', { type: 'text', list: blockList, value: st.block || '' }));
    const imageUrl = rel('image.url', h('input', { type: 'url', value: st.image && st.image.url ? st.image.url : '' }));
    const imageAlt = rel('image.alt', h('input', { type: 'text', maxlength: '250', value: st.image ? st.image.alt : '' }));
    const videoUrl = rel('video.url', h('input', { type: 'url', value: st.video ? st.video.url : '' }));
    const transcript = rel('video.transcript', h('textarea', { rows: '4', maxlength: '6000' }));
    // An outside address, or a medium of the library in its place.
    const imageUrlField = field(t('Adresse de l’image (https)', 'Image address (https)'), imageUrl);
    const library = libraryImage({
      label: t('Image de l’étape', 'Step image'),
      alt: imageAlt,
      urlParts: [imageUrlField],
      urlInput: imageUrl,
      medium: st.image && st.image.medium ? st.image.medium : null,
      testid: 'step-image',
    });
    rel('image.medium', library.box);
    transcript.value = st.video && st.video.transcript ? st.video.transcript : '';
    const preview = h('div', { class: 'md-preview', role: 'region' });
    const previewNote = h('p', { class: 'hint' });
    const legend = h('legend');
    const up = h('button', { type: 'button', class: 'secondary small' });
    const down = h('button', { type: 'button', class: 'secondary small' });
    const remove = h('button', { type: 'button', class: 'secondary small' });
    const box = h('fieldset', { class: 'step', tabindex: '-1' }, legend,
      field(t('Titre de l’étape (facultatif)', 'Step title (optional)'), stepTitle),
      h('div', { class: 'step-editor' },
        h('div', null, field(t('Texte (Markdown)', 'Text (Markdown)'), text, null,
          { hint: t('**gras**, *italique*, listes avec - ou 1., liens [texte](https://…). L’aperçu se met à jour pendant la saisie.',
            '**bold**, *italic*, lists with - or 1., links [text](https://…). The preview updates as you type.') })),
        h('div', { class: 'step-preview' }, h('p', { class: 'preview-label', 'aria-hidden': 'true' }, t('Aperçu', 'Preview')), preview, previewNote)),
      field(t('Bloc réutilisable inclus (facultatif)', 'Reusable block included (optional)'), block, null,
        { hint: t('Son identifiant ; il s’affiche après le texte.', 'Its identifier; it shows after the text.') }),
      h('details', { open: Boolean(st.image) || null }, h('summary', null, t('Image (facultative)', 'Image (optional)')),
        library.element,
        imageUrlField,
        field(t('Texte alternatif', 'Text alternative'), imageAlt, null,
          { hint: t('Obligatoire avec une image : ce qu’elle montre.', 'Required with an image: what it shows.') })),
      h('details', { open: Boolean(st.video) || null }, h('summary', null, t('Vidéo (facultative)', 'Video (optional)')),
        field(t('Adresse de la vidéo (https)', 'Video address (https)'), videoUrl, null,
          { hint: t('PeerTube, YouTube, Vimeo, Dailymotion ou Twitch.', 'PeerTube, YouTube, Vimeo, Dailymotion or Twitch.') }),
        field(t('Transcription', 'Transcript'), transcript, null,
          { hint: t('Ce que dit et montre la vidéo, pour qui ne peut ni la voir ni l’entendre.', 'What the video says and shows, for people who cannot see or hear it.') })),
      h('div', { class: 'actions' }, up, down, remove));
    const li = h('li', null, box);
    const s = { li, box, legend, text, stepTitle, block, imageUrl, imageAlt, library, videoUrl, transcript, preview, up, down, remove };

    // The preview: one request per typing pause; a late answer to an older text is ignored.
    let timer = null;
    let asked = 0;
    const refresh = async () => {
      const mine = ++asked;
      const markdown = text.value;
      previewNote.textContent = block.value.trim()
        ? t(`Le bloc « ${block.value.trim()} » s’affichera après ce texte (non montré ici).`,
          `The block “${block.value.trim()}” will show after this text (not shown here).`) : '';
      if (!markdown.trim()) {
        preview.replaceChildren(h('p', { class: 'empty' }, t('(texte vide)', '(empty text)')));
        return;
      }
      try {
        const answer = await api('POST', '/api/tutorials/preview', { markdown });
        if (mine !== asked) return;
        // Safe: this HTML comes from the server's Markdown renderer (see the file header).
        preview.innerHTML = answer.html;
      } catch (error) {
        if (mine !== asked) return;
        preview.replaceChildren(h('p', { class: 'empty' },
          t(`Aperçu indisponible : ${errorMessage(error)}`, `Preview unavailable: ${errorMessage(error)}`)));
      }
    };
    text.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(refresh, PREVIEW_DELAY);
    });
    block.addEventListener('change', refresh);
    s.refresh = refresh;

    up.addEventListener('click', () => moveStep(s, -1, 'up'));
    down.addEventListener('click', () => moveStep(s, 1, 'down'));
    remove.addEventListener('click', async () => {
      if (text.value.trim() && !await confirmDialog(t('Retirer cette étape et son texte ?', 'Remove this step and its text?'),
        { danger: true, confirmLabel: t('Retirer', 'Remove') })) return;
      const at = steps.indexOf(s);
      steps.splice(at, 1);
      li.remove();
      renumber();
      dirty = true;
      announce(t('Étape retirée', 'Step removed'));
      const neighbour = steps[at] || steps[at - 1];
      (neighbour ? neighbour.text : addStep).focus();
    });
    return s;
  };

  const appendStep = (step) => {
    const s = makeStep(step);
    steps.push(s);
    stepList.append(s.li);
    renumber();
    s.refresh();
    return s;
  };
  for (const step of tu.steps) appendStep(step);
  addStep.addEventListener('click', () => {
    const s = appendStep(null);
    dirty = true;
    s.text.focus();
    announce(t(`Étape ${steps.length} ajoutée`, `Step ${steps.length} added`));
  });
  stepsBox.append(stepList, addStep);

  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'tutorial-save' },
    create ? t('Créer le tutoriel', 'Create the tutorial') : t('Enregistrer une nouvelle version', 'Save a new version'));
  append(form, 
    h('datalist', { id: blockList }, (blocks || []).map((b) => h('option', { value: b.id }, b.title))),
    h('fieldset', null, h('legend', null, t('Présentation', 'Overview')),
      field(t('Titre', 'Title'), title),
      slug ? field(t('Adresse (identifiant)', 'Address (identifier)'), slug, null,
        { hint: t('Minuscules, chiffres et tirets ; ne change plus ensuite.', 'Lowercase letters, digits and hyphens; cannot change later.') }) : null,
      field(t('Langue', 'Language'), lang),
      field(t('Résumé', 'Summary'), summary, null, { hint: t('400 caractères au plus.', 'At most 400 characters.') }),
      field(t('Public', 'Audience'), audience, null, { hint: t('Par exemple « Tout public ».', 'E.g. “Everyone”.') }),
      field(t('Niveau', 'Level'), level),
      field(t('Durée estimée (minutes)', 'Estimated time (minutes)'), minutes),
      field(t('Mots-clés', 'Tags'), tags, null, { hint: t('Séparés par des virgules, 10 au plus.', 'Separated by commas, at most 10.') }),
      field(t('Traduction (identifiant de l’autre tutoriel)', 'Translation (the other tutorial’s identifier)'), translation)),
    h('fieldset', null, h('legend', null, t('Service concerné', 'Service concerned')),
      field(t('Nom du service', 'Name of the service'), serviceName),
      field(t('Adresse du service (https)', 'Address of the service (https)'), serviceUrl)),
    stepsBox,
    h('div', { class: 'actions' }, submit));

  const opt = (el) => (el.value.trim() ? el.value.trim() : undefined);
  const read = () => {
    let estimated;
    if (minutes.value.trim()) {
      if (!/^\d+$/.test(minutes.value.trim())) throw new LocalError(minutes, t('Un nombre entier de minutes.', 'A whole number of minutes.'));
      estimated = Number(minutes.value.trim());
    }
    const body = {
      lang: lang.value,
      title: title.value,
      summary: summary.value,
      audience: opt(audience),
      level: level.value,
      estimated_minutes: estimated,
      service: { name: serviceName.value, url: serviceUrl.value.trim() },
      tags: tags.value.split(',').map((tag) => tag.trim()).filter(Boolean),
      translation: opt(translation),
      steps: steps.map((s) => {
        const step = { title: opt(s.stepTitle), text: s.text.value.trim() ? s.text.value : undefined, block: opt(s.block) };
        if (s.library.mediumId()) step.image = { medium: s.library.mediumId(), alt: opt(s.imageAlt) };
        else if (s.imageUrl.value.trim() || s.imageAlt.value.trim()) step.image = { url: s.imageUrl.value.trim(), alt: opt(s.imageAlt) };
        if (s.videoUrl.value.trim() || s.transcript.value.trim()) step.video = { url: s.videoUrl.value.trim(), transcript: opt(s.transcript) };
        return step;
      }),
    };
    if (slug) body.slug = slug.value.trim();
    return body;
  };
  return { form, read, submit, isDirty: () => dirty, markClean: () => { dirty = false; } };
}

/** Runs read() and flags a LocalError beside its input; undefined then. */
function readOrFlag(read) {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof LocalError)) throw error;
    setFieldError(error.input, error.message);
    error.input.focus();
    return undefined;
  }
}

async function loadBlocks() {
  try {
    return (await api('GET', '/api/tutorials/blocks')).blocks || [];
  } catch {
    // Only a convenience for the block field: the editor works without it.
    return [];
  }
}

// ---- Creation ------------------------------------------------------------------------------

async function renderCreate(main, ctx) {
  main.append(pageHeader(t('Nouveau tutoriel', 'New tutorial')),
    h('p', null, h('a', { href: '#/tutorials' }, t('← Retour aux tutoriels', '← Back to tutorials'))),
    h('p', null, t('Le tutoriel reste en brouillon jusqu’à sa publication.', 'The tutorial stays a draft until published.')));
  const editor = tutorialForm(null, { create: true, blocks: await loadBlocks() });
  editor.form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(editor.form);
    const body = readOrFlag(editor.read);
    if (!body) return;
    await busy(editor.submit, async () => {
      const tutorial = await api('POST', '/api/tutorials', body);
      editor.markClean();
      announce(t('Tutoriel créé', 'Tutorial created'));
      ctx.navigate(`#/tutorials/${encodeURIComponent(tutorial.slug)}`);
    }, {
      onError: (error) => {
        // A taken slug is the slug field's problem, though the API does not name the field.
        if (error instanceof ApiError && error.code === 'tutorial_exists' && !error.field) {
          error.field = 'slug';
          error.message = t('Cette adresse est déjà prise (peut-être par un tutoriel supprimé) : choisissez-en une autre.',
            'This address is already taken (perhaps by a deleted tutorial): choose another one.');
        }
        showErrors(editor.form, error);
      },
    });
  });
  main.append(editor.form);
}

// ---- Detail --------------------------------------------------------------------------------

async function renderDetail(main, slug, ctx) {
  const path = `/api/tutorials/${encodeURIComponent(slug)}`;
  const placeholder = loading();
  main.append(placeholder);
  const [first, blocks] = await Promise.all([api('GET', path), loadBlocks()]);
  let tutorial = first;
  placeholder.remove();
  const canEdit = ctx.can('edit');

  const alert = h('div', { class: 'error-box', role: 'alert', hidden: true, 'data-testid': 'tutorial-error' });
  const showAlert = (error) => { alert.textContent = errorMessage(error); alert.hidden = false; };
  const header = h('div');
  const publication = h('section', { 'aria-labelledby': 'tutorial-publication-title' });
  const editSection = h('section', { 'aria-labelledby': 'tutorial-edit-title' });
  const versionsSection = h('section', { 'aria-labelledby': 'tutorial-versions-title' });
  const feedbackSection = h('section', { 'aria-labelledby': 'tutorial-feedback-title' });
  const dangerSection = h('section', { 'aria-labelledby': 'tutorial-danger-title' });
  main.append(h('p', null, h('a', { href: '#/tutorials' }, t('← Retour aux tutoriels', '← Back to tutorials'))),
    header, alert, publication, editSection, versionsSection, feedbackSection, dangerSection);

  let editor = null;

  const drawHeader = () => {
    clear(header);
    const [kind, text] = publicationState(tutorial.published_at);
    header.append(pageHeader(tutorial.title),
      h('p', null, badge(text, kind), ' ',
        h('span', { 'data-testid': 'tutorial-version' }, t(`Version ${tutorial.version}`, `Version ${tutorial.version}`)),
        t(`, enregistrée le ${formatDateTime(tutorial.updated_at)}`, `, saved on ${formatDateTime(tutorial.updated_at)}`)));
  };

  const drawPublication = () => {
    clear(publication);
    const [kind] = publicationState(tutorial.published_at);
    const state = {
      draft: t('Brouillon : invisible du public.', 'Draft: hidden from the public.'),
      scheduled: t(`Programmé : visible à partir du ${formatDateTime(tutorial.published_at)}.`, `Scheduled: visible from ${formatDateTime(tutorial.published_at)}.`),
      published: t(`Publié depuis le ${formatDateTime(tutorial.published_at)}.`, `Published since ${formatDateTime(tutorial.published_at)}.`),
    }[kind];
    publication.append(h('h2', { id: 'tutorial-publication-title' }, t('Publication', 'Publication')),
      h('p', { 'data-testid': 'tutorial-visibility', tabindex: '-1' }, state));
    if (tutorial.visible) {
      publication.append(h('p', null, h('a', { href: tutorial.url, 'data-testid': 'tutorial-public-link' }, t('Page publique', 'Public page'))));
    }
    if (!canEdit) return;
    const after = async (request, success) => {
      alert.hidden = true;
      const answer = await request();
      // Publication is not a new version: the editor's content stays as it is.
      tutorial = { ...tutorial, published_at: answer.published_at, visible: answer.visible };
      drawHeader();
      drawPublication();
      publication.querySelector('[data-testid="tutorial-visibility"]').focus();
      announce(success);
    };
    const buttons = h('div', { class: 'actions' });
    if (kind !== 'published') {
      const now = h('button', { type: 'button', class: 'primary', 'data-testid': 'tutorial-publish' }, t('Publier maintenant', 'Publish now'));
      now.addEventListener('click', () => busy(now, () => after(() => api('POST', `${path}/publish`, {}),
        t('Tutoriel publié', 'Tutorial published')), { onError: showAlert }));
      buttons.append(now);
    }
    if (kind !== 'draft') {
      const off = h('button', { type: 'button', class: 'secondary', 'data-testid': 'tutorial-unpublish' }, t('Dépublier', 'Unpublish'));
      off.addEventListener('click', async () => {
        if (!await confirmDialog(t('Dépublier ce tutoriel ? Ses pages ne seront plus visibles du public.', 'Unpublish this tutorial? Its pages will no longer be public.'),
          { confirmLabel: t('Dépublier', 'Unpublish') })) return;
        await busy(off, () => after(() => api('POST', `${path}/unpublish`), t('Tutoriel dépublié', 'Tutorial unpublished')), { onError: showAlert });
      });
      buttons.append(off);
    }
    publication.append(buttons);
    const at = h('input', { type: 'datetime-local', name: 'at', 'data-field': 'at', required: true });
    const schedule = h('button', { type: 'submit', class: 'secondary', 'data-testid': 'tutorial-schedule' }, t('Programmer', 'Schedule'));
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
      // The API reads a wall-clock time in the library's zone.
      await busy(schedule, () => after(() => api('POST', `${path}/publish`, { at: at.value }),
        t('Publication programmée', 'Publication scheduled')), { onError: (error) => showErrors(form, error) });
    });
    publication.append(form);
  };

  /**
   * The conflict box shown when the tutorial was saved elsewhere since it was loaded: staff
   * choose between overwriting with their text and reloading the saved one. Their text is
   * never dropped without a confirmation.
   */
  const showConflict = (form, current) => {
    const old = form.querySelector(':scope > .conflict');
    if (old) old.remove();
    const overwrite = h('button', { type: 'button', class: 'danger', 'data-testid': 'tutorial-conflict-overwrite' },
      t('Enregistrer quand même mes modifications', 'Save my changes anyway'));
    const reload = h('button', { type: 'button', class: 'secondary', 'data-testid': 'tutorial-conflict-reload' },
      t('Abandonner mes modifications et recharger', 'Drop my changes and reload'));
    const box = h('div', { class: 'conflict error-box', role: 'alert', tabindex: '-1', 'data-testid': 'tutorial-conflict' },
      h('p', null, h('strong', null, t('Conflit de versions.', 'Version conflict.')), ' ',
        current ? t(`Quelqu’un a enregistré ce tutoriel pendant que vous le modifiiez : il est maintenant en version ${current}, vous étiez parti·e de la version ${editorVersion}.`,
          `Someone saved this tutorial while you were editing it: it is now at version ${current}, you started from version ${editorVersion}.`)
          : t('Quelqu’un a enregistré ce tutoriel pendant que vous le modifiiez.', 'Someone saved this tutorial while you were editing it.')),
      h('p', null, t('Vos modifications sont toujours dans le formulaire. Comparez avec l’historique ci-dessous avant de choisir.',
        'Your changes are still in the form. Compare with the history below before choosing.')),
      h('div', { class: 'actions' }, overwrite, reload));
    overwrite.addEventListener('click', async () => {
      if (!await confirmDialog(t('Votre texte deviendra la nouvelle version ; l’autre version restera dans l’historique. Continuer ?',
        'Your text becomes the new version; the other one stays in the history. Continue?'), { confirmLabel: t('Enregistrer', 'Save') })) return;
      await busy(overwrite, async () => {
        const latest = await api('GET', path);
        editorVersion = latest.version;
        box.remove();
        await save(latest.version);
      }, { onError: (error) => showErrors(form, error) });
    });
    reload.addEventListener('click', async () => {
      if (!await confirmDialog(t('Abandonner vos modifications et afficher la version enregistrée ?', 'Drop your changes and show the saved version?'),
        { danger: true, confirmLabel: t('Abandonner', 'Drop') })) return;
      await busy(reload, async () => {
        tutorial = await api('GET', path);
        redraw();
        editSection.querySelector('h2').focus();
      }, { success: t('Version enregistrée rechargée', 'Saved version reloaded'), onError: showAlert });
    });
    form.prepend(box);
    box.focus();
  };

  // The version the editor's content started from: sent as if_version.
  let editorVersion = tutorial.version;

  const save = async (ifVersion) => {
    const body = readOrFlag(editor.read);
    if (!body) return;
    try {
      tutorial = await api('PUT', path, { ...body, if_version: ifVersion });
    } catch (error) {
      if (error instanceof ApiError && error.code === 'stale_version') {
        const m = /version (\d+)/.exec(error.message || '');
        showConflict(editor.form, m ? Number(m[1]) : null);
        announce(t('Conflit de versions : rien n’a été enregistré.', 'Version conflict: nothing was saved.'));
        return;
      }
      throw error;
    }
    editorVersion = tutorial.version;
    editor.markClean();
    drawHeader();
    drawVersions();
    drawFeedback();
    editor.submit.focus();
    announce(t(`Version ${tutorial.version} enregistrée`, `Version ${tutorial.version} saved`));
  };

  const drawEdit = () => {
    clear(editSection);
    editSection.append(h('h2', { id: 'tutorial-edit-title', tabindex: '-1' }, t('Contenu', 'Content')));
    if (!canEdit) {
      editSection.append(h('p', null, tutorial.summary));
      return;
    }
    editorVersion = tutorial.version;
    editor = tutorialForm(tutorial, { create: false, blocks });
    editor.form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(editor.form);
      const conflict = editor.form.querySelector(':scope > .conflict');
      if (conflict) conflict.remove();
      await busy(editor.submit, () => save(editorVersion), { onError: (error) => showErrors(editor.form, error) });
    });
    editSection.append(editor.form);
  };

  const drawVersions = async () => {
    clear(versionsSection);
    versionsSection.append(h('h2', { id: 'tutorial-versions-title', tabindex: '-1' }, t('Historique des versions', 'Version history')));
    let data;
    try {
      data = await api('GET', `${path}/versions`);
    } catch (error) {
      versionsSection.append(errorBox(error));
      return;
    }
    if (!data.versions.length) {
      versionsSection.append(empty(t('Aucune version précédente.', 'No previous version.')));
      return;
    }
    versionsSection.append(h('p', { class: 'hint' }, t('Restaurer une version l’enregistre comme nouvelle version : rien n’est perdu.',
      'Restoring a version saves it as a new version: nothing is lost.')));
    append(versionsSection, h('div', { class: 'table-scroll' }, h('table', { 'data-testid': 'tutorial-versions' },
      h('caption', { class: 'visually-hidden' }, t('Versions précédentes, de la plus récente à la plus ancienne', 'Previous versions, newest first')),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col', class: 'num' }, t('Version', 'Version')),
        h('th', { scope: 'col' }, t('Titre', 'Title')),
        h('th', { scope: 'col' }, t('Enregistrée le', 'Saved on')),
        h('th', { scope: 'col' }, t('Actions', 'Actions')))),
      h('tbody', null, data.versions.map((v) => {
        const view = h('button', { type: 'button', class: 'secondary small', 'data-testid': `tutorial-version-view-${v.version}` },
          t('Voir', 'View'), h('span', { class: 'visually-hidden' }, t(` la version ${v.version}`, ` version ${v.version}`)));
        view.addEventListener('click', () => busy(view, () => showVersion(v.version), { onError: showAlert }));
        const restore = canEdit ? h('button', { type: 'button', class: 'secondary small', 'data-testid': `tutorial-version-restore-${v.version}` },
          t('Restaurer', 'Restore'), h('span', { class: 'visually-hidden' }, t(` la version ${v.version}`, ` version ${v.version}`))) : null;
        if (restore) restore.addEventListener('click', () => restoreVersion(v.version, restore));
        return h('tr', null,
          h('td', { class: 'num' }, String(v.version)),
          h('td', null, v.title),
          h('td', null, formatDateTime(v.saved_at)),
          h('td', null, h('div', { class: 'actions' }, view, restore)));
      })))));
  };

  /** A previous version, read-only, in a dialog: its texts as typed (Markdown source). */
  const showVersion = async (n) => {
    const v = await api('GET', `${path}/versions/${n}`);
    await openDialog({
      title: t(`Version ${n} : ${v.title}`, `Version ${n}: ${v.title}`),
      content: h('div', { class: 'version-view' },
        h('p', null, v.summary),
        h('p', { class: 'muted' }, t(`Enregistrée le ${formatDateTime(v.updated_at)}`, `Saved on ${formatDateTime(v.updated_at)}`)),
        h('ol', null, v.steps.map((s) => h('li', null,
          s.title ? h('p', null, h('strong', null, s.title)) : null,
          s.text ? h('pre', { class: 'pre-wrap' }, s.text) : null,
          s.block ? h('p', { class: 'muted' }, t(`Bloc inclus : ${s.block}`, `Included block: ${s.block}`)) : null)))),
      submitLabel: t('Fermer', 'Close'),
      cancelLabel: t('Annuler', 'Cancel'),
      testid: 'tutorial-version-dialog',
    });
  };

  /**
   * Restores version `n`. The API has no if_version here, so the console checks first that
   * nobody saved since the editor loaded, and shows the same conflict box otherwise.
   */
  const restoreVersion = async (n, button) => {
    const unsaved = editor && editor.isDirty();
    const question = unsaved
      ? t(`Restaurer la version ${n} ? Vos modifications non enregistrées seront perdues.`, `Restore version ${n}? Your unsaved changes will be lost.`)
      : t(`Restaurer la version ${n} ? Elle deviendra la version ${tutorial.version + 1}.`, `Restore version ${n}? It becomes version ${tutorial.version + 1}.`);
    if (!await confirmDialog(question, { danger: unsaved, confirmLabel: t('Restaurer', 'Restore'), testid: 'tutorial-restore-confirm' })) return;
    await busy(button, async () => {
      alert.hidden = true;
      const latest = await api('GET', path);
      if (latest.version !== editorVersion) {
        showConflict(editor.form, latest.version);
        return;
      }
      tutorial = await api('POST', `${path}/versions/${n}/restore`);
      redraw();
      editSection.querySelector('h2').focus();
      announce(t(`Version ${n} restaurée : c’est maintenant la version ${tutorial.version}.`,
        `Version ${n} restored: it is now version ${tutorial.version}.`));
    }, { onError: showAlert });
  };

  const drawFeedback = async () => {
    clear(feedbackSection);
    feedbackSection.append(h('h2', { id: 'tutorial-feedback-title' }, t('Avis des lecteurs', 'Readers’ feedback')));
    let f;
    try {
      f = await api('GET', `${path}/feedback`);
    } catch (error) {
      feedbackSection.append(errorBox(error));
      return;
    }
    const answers = f.helpful + f.not_helpful;
    const share = answers ? Math.round((f.helpful / answers) * 100) : null;
    feedbackSection.append(h('ul', { class: 'figures', 'data-testid': 'tutorial-feedback' },
      h('li', null, h('span', { class: 'figure-value' }, formatNumber(f.helpful)), h('span', { class: 'figure-label' }, t('« utile »', '“helpful”'))),
      h('li', null, h('span', { class: 'figure-value' }, formatNumber(f.not_helpful)), h('span', { class: 'figure-label' }, t('« pas utile »', '“not helpful”'))),
      h('li', null, h('span', { class: 'figure-value' }, share === null ? '—' : `${share} %`), h('span', { class: 'figure-label' }, t('de réponses positives', 'positive answers'))),
      h('li', null, h('span', { class: 'figure-value' }, formatNumber(f.comments_total)), h('span', { class: 'figure-label' }, t('commentaires', 'comments')))));
    const readers = f.stopped_at.reduce((sum, n) => sum + n, 0);
    if (readers) {
      feedbackSection.append(h('div', { class: 'table-scroll' }, h('table', null,
        h('caption', null, t(`Où les lecteurs se sont arrêtés (${formatNumber(readers)} lecteurs)`, `Where readers stopped (${formatNumber(readers)} readers)`)),
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('Dernière étape ouverte', 'Last step opened')),
          h('th', { scope: 'col', class: 'num' }, t('Lecteurs', 'Readers')), h('th', { scope: 'col', class: 'num' }, t('Part', 'Share')))),
        h('tbody', null, f.stopped_at.map((n, i) => h('tr', null,
          h('th', { scope: 'row' }, t(`Étape ${i + 1}`, `Step ${i + 1}`)),
          h('td', { class: 'num' }, formatNumber(n)),
          h('td', { class: 'num' }, `${Math.round((n / readers) * 100)} %`)))))));
    }
    if (f.comments.length) {
      feedbackSection.append(h('h3', null, t('Derniers commentaires', 'Latest comments')),
        h('ol', { class: 'moderation-list' }, f.comments.map((c) => h('li', { class: 'moderation-item' },
          h('p', { class: 'moderation-text', dir: 'auto' }, c.text),
          h('p', { class: 'muted' }, c.helpful ? t('A trouvé le tutoriel utile', 'Found it helpful') : t('Ne l’a pas trouvé utile', 'Did not find it helpful'),
            ' · ', formatDateTime(c.created_at))))));
    }
  };

  const drawDanger = () => {
    clear(dangerSection);
    if (!canEdit) return;
    const remove = h('button', { type: 'button', class: 'danger', 'data-testid': 'tutorial-delete' }, t('Supprimer le tutoriel', 'Delete the tutorial'));
    remove.addEventListener('click', async () => {
      if (!await confirmDialog(t(`Supprimer « ${tutorial.title} » et son historique ? L’adresse « ${tutorial.slug} » restera réservée.`,
        `Delete “${tutorial.title}” and its history? The address “${tutorial.slug}” stays reserved.`),
      { danger: true, confirmLabel: t('Supprimer', 'Delete') })) return;
      await busy(remove, async () => {
        await api('DELETE', path);
        announce(t('Tutoriel supprimé', 'Tutorial deleted'));
        ctx.navigate('#/tutorials');
      }, { onError: showAlert });
    });
    dangerSection.append(h('h2', { id: 'tutorial-danger-title' }, t('Suppression', 'Deletion')), remove);
  };

  const redraw = () => {
    drawHeader();
    drawPublication();
    drawEdit();
    drawVersions();
    drawFeedback();
    drawDanger();
  };
  redraw();
}
