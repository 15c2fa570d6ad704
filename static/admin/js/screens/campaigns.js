// Campaigns: the list, and the create/edit form (shared with the campaign screen).
//
// Endpoints: GET /api/campaigns → {"campaigns":[{"campaign":{id,slug,name,starts_on,ends_on,
// hashtags},"url"}]}; POST /api/campaigns and PUT /api/campaigns/:id {name, slug? (creation
// only), description, starts_on, ends_on, hashtags[], links[{kind, id|path}]} → the campaign
// with url, embed_url and warnings.

import { api } from '../api.js';
import { t, formatDate, parisToday } from '../i18n.js';
import { h, clear, field, pageHeader, announce, showErrors, clearErrors, busy, setFieldError, empty, badge } from '../ui.js';
import { noon } from '../dates.js';

const LINK_KINDS = [
  ['poll', () => t('Sondage', 'Poll')],
  ['contest', () => t('Concours', 'Contest')],
  ['showcase', () => t('Vitrine', 'Showcase')],
  ['tutorial', () => t('Tutoriel', 'Tutorial')],
];

export async function render(main, params, ctx) {
  const data = await api('GET', '/api/campaigns');
  const items = (data.campaigns || []).map((item) => ({ ...(item.campaign || item), public_url: item.url }));
  const today = parisToday();

  const list = items.length
    ? h('div', { class: 'table-scroll' }, h('table', { 'data-testid': 'campaigns-table' },
      h('caption', { class: 'visually-hidden' }, t('Campagnes', 'Campaigns')),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, t('Campagne', 'Campaign')),
        h('th', { scope: 'col' }, t('Dates', 'Dates')),
        h('th', { scope: 'col' }, 'Hashtags'),
        h('th', { scope: 'col' }, t('Mur public', 'Public wall')))),
      h('tbody', null, items.map((c) => h('tr', { 'data-testid': 'campaign-row', 'data-campaign-id': c.id },
        h('th', { scope: 'row' }, h('a', { href: `#/campaigns/${encodeURIComponent(c.id)}`, 'data-testid': 'campaign-link' }, c.name), ' ',
          c.starts_on <= today && today <= c.ends_on ? badge(t('en cours', 'running'), 'open') : null),
        h('td', null, `${formatDate(noon(c.starts_on))} – ${formatDate(noon(c.ends_on))}`),
        h('td', null, (c.hashtags || []).map((tag) => `#${tag}`).join(' ')),
        h('td', null, c.public_url ? h('a', { href: c.public_url, target: '_blank', rel: 'noopener' }, t('Voir', 'View'),
          h('span', { class: 'visually-hidden' }, ` ${c.name}`)) : ''))))))
    : empty(t('Aucune campagne pour l’instant.', 'No campaign yet.'));

  clear(main);
  main.append(pageHeader(t('Campagnes', 'Campaigns')), list);
  if (ctx.can('edit')) {
    main.append(h('section', { 'aria-labelledby': 'new-campaign' },
      h('h2', { id: 'new-campaign' }, t('Nouvelle campagne', 'New campaign')),
      campaignForm(null, (saved) => ctx.navigate(`#/campaigns/${encodeURIComponent(saved.id)}`))));
  }
}

/**
 * The campaign form: creation when `campaign` is null, edition otherwise. `onSaved(campaign)`
 * runs after a successful save (the answer includes `warnings` about hashtags).
 */
export function campaignForm(campaign, onSaved) {
  const editing = Boolean(campaign);
  const c = campaign || {};
  const name = h('input', { type: 'text', name: 'name', required: true, value: c.name || '', 'data-testid': 'campaign-name' });
  const slug = editing ? null : h('input', { type: 'text', name: 'slug', pattern: '[a-z0-9-]+', autocomplete: 'off', 'data-testid': 'campaign-slug' });
  const description = h('textarea', { name: 'description', rows: 3, 'data-testid': 'campaign-description' });
  description.value = c.description || '';
  const starts = h('input', { type: 'date', name: 'starts_on', required: true, value: c.starts_on || '', 'data-testid': 'campaign-starts' });
  const ends = h('input', { type: 'date', name: 'ends_on', required: true, value: c.ends_on || '', 'data-testid': 'campaign-ends' });
  const hashtags = h('input', { type: 'text', name: 'hashtags', required: true, autocomplete: 'off',
    value: (c.hashtags || []).map((tag) => `#${tag}`).join(' '), 'data-testid': 'campaign-hashtags' });
  const linkRows = h('ul', { class: 'stack', 'data-field': 'links' });
  const warnings = h('div', { 'aria-live': 'polite' });

  const addLink = (link = { kind: 'poll', path: '' }) => {
    const i = linkRows.children.length;
    const kind = h('select', { name: `links[${i}].kind` }, LINK_KINDS.map(([value, label]) => h('option', { value, selected: value === link.kind }, label())));
    const target = h('input', { type: 'text', name: `links[${i}].path`, value: link.path || link.id || '', autocomplete: 'off' });
    const remove = h('button', { type: 'button', class: 'secondary small' }, t('Retirer le lien', 'Remove the link'));
    const li = h('li', { class: 'image-row' },
      field(t('Type', 'Kind'), kind),
      field(t('Identifiant ou chemin (/polls/…)', 'Id or path (/polls/…)'), target), remove);
    remove.addEventListener('click', () => {
      li.remove();
      addButton.focus();
    });
    linkRows.append(li);
    return kind;
  };
  const addButton = h('button', { type: 'button', class: 'secondary', onclick: () => addLink().focus() }, t('Ajouter un lien', 'Add a link'));
  (c.links || []).forEach(addLink);

  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'campaign-submit' },
    editing ? t('Enregistrer', 'Save') : t('Créer la campagne', 'Create the campaign'));
  const form = h('form', { class: 'form', novalidate: true, 'data-testid': 'campaign-form' },
    field(t('Nom', 'Name'), name),
    slug ? field(t('Adresse courte (facultatif)', 'Short address (optional)'), slug, null,
      { hint: t('Lettres minuscules, chiffres et tirets ; fixée à la création (/campaigns/…).', 'Lowercase letters, digits and hyphens; fixed at creation (/campaigns/…).') }) : null,
    field(t('Description', 'Description'), description),
    h('div', { class: 'image-row' }, field(t('Début', 'Starts'), starts), field(t('Fin (incluse)', 'Ends (included)'), ends)),
    field('Hashtags', hashtags, null, { hint: t('Séparés par des espaces, en CamelCase : #NuitDeLaLecture.', 'Separated by spaces, in CamelCase: #NuitDeLaLecture.') }),
    h('fieldset', null, h('legend', null, t('Ce que la campagne met en avant', 'What the campaign promotes')), linkRows, addButton),
    warnings,
    h('div', { class: 'actions' }, submit));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    let first = null;
    for (const [input, message] of [
      [name, t('Le nom est obligatoire.', 'The name is required.')],
      [starts, t('La date de début est obligatoire.', 'The start date is required.')],
      [ends, t('La date de fin est obligatoire.', 'The end date is required.')],
      [hashtags, t('Au moins un hashtag.', 'At least one hashtag.')],
    ]) {
      if (!input.value.trim()) {
        setFieldError(input, message);
        first = first || input;
      }
    }
    if (!first && ends.value < starts.value) {
      setFieldError(ends, t('La fin précède le début.', 'The end is before the start.'));
      first = ends;
    }
    if (first) {
      first.focus();
      return;
    }
    const body = {
      name: name.value.trim(),
      description: description.value.trim(),
      starts_on: starts.value,
      ends_on: ends.value,
      hashtags: hashtags.value.split(/[\s,;]+/).map((tag) => tag.replace(/^#+/, '')).filter(Boolean),
      links: [...linkRows.children].map((li) => {
        const kind = li.querySelector('select').value;
        const value = li.querySelector('input').value.trim();
        return value.startsWith('/') ? { kind, path: value } : { kind, id: value };
      }).filter((link) => link.path || link.id),
    };
    if (slug && slug.value.trim()) body.slug = slug.value.trim();
    await busy(submit, async () => {
      try {
        const saved = editing
          ? await api('PUT', `/api/campaigns/${encodeURIComponent(c.id)}`, body)
          : await api('POST', '/api/campaigns', body);
        clear(warnings);
        if ((saved.warnings || []).length) {
          warnings.append(h('div', { class: 'notice' }, h('p', null, t('À revoir :', 'To review:')),
            h('ul', null, saved.warnings.map((w) => h('li', null, w)))));
        }
        announce(editing ? t('Campagne enregistrée.', 'Campaign saved.') : t('Campagne créée.', 'Campaign created.'));
        onSaved(saved);
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return form;
}
