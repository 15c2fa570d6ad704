// Site pages (administrators): the privacy notice, the accessibility statement and the legal
// notice every public page links from its footer. Markdown, French and English (empty
// English shows the French text); until saved, the defaults are shown and marked as such.
//
// Endpoints: GET /api/site-pages/{privacy|accessibility|legal} → {page, path, fr, en,
// default}; PUT the same with {fr, en}.

import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, clear, field, pageHeader, busy, showErrors, formValues } from '../ui.js';

const PAGES = [
  { name: 'privacy', title: () => t('Données personnelles et cookies', 'Privacy and cookies') },
  { name: 'accessibility', title: () => t('Accessibilité', 'Accessibility') },
  { name: 'legal', title: () => t('Mentions légales', 'Legal notice') },
];

function editor(page, data) {
  const fr = h('textarea', { name: 'fr', rows: 16, required: true, 'data-testid': `site-page-${page.name}-fr` });
  fr.value = data.fr || '';
  const en = h('textarea', { name: 'en', rows: 10, 'data-testid': `site-page-${page.name}-en` });
  en.value = data.en || '';
  const state = h('p', { class: 'hint', role: 'status' },
    data.default ? t('Texte par défaut : enregistrez-le pour le garder ou le modifier.',
      'Default text: save it to keep or change it.') : '');
  const save = h('button', { type: 'submit' }, t('Enregistrer', 'Save'));
  const form = h('form', { novalidate: true },
    field(t('Texte en français (Markdown)', 'French text (Markdown)'), fr),
    field(t('Texte en anglais (Markdown, facultatif)', 'English text (Markdown, optional)'), en,
      { hint: t('Vide : la page anglaise montre le texte français.', 'Empty: the English page shows the French text.') }),
    h('div', { class: 'actions' }, save,
      h('a', { href: data.path, target: '_blank', rel: 'noopener' }, t('Voir la page', 'View the page'))),
    state);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(save, async () => {
      await api('PUT', `/api/site-pages/${page.name}`, formValues(form));
      state.textContent = '';
    }, {
      success: t('Page enregistrée.', 'Page saved.'),
      onError: (error) => showErrors(form, error),
    });
  });
  return h('section', { 'aria-labelledby': `site-page-${page.name}` },
    h('h2', { id: `site-page-${page.name}` }, page.title()), form);
}

export async function render(main) {
  const loaded = await Promise.all(PAGES.map((p) => api('GET', `/api/site-pages/${p.name}`)));
  clear(main);
  main.append(pageHeader(t('Pages du site', 'Site pages')),
    h('p', { class: 'hint' }, t(
      'Ces pages sont liées depuis le pied de chaque page publique. Le HTML est affiché tel quel, jamais interprété.',
      'These pages are linked from the footer of every public page. HTML is shown as text, never interpreted.')),
    ...PAGES.map((p, i) => editor(p, loaded[i])));
}
