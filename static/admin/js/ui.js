// Small DOM helpers shared by every screen.
//
// Safety rule: data from the APIs only ever reaches the page as text (textContent, attribute
// values, form values). Nothing here writes innerHTML; the one exception in the console is the
// tutorials preview, whose HTML comes from the server's own safe renderer.

import { t } from './i18n.js';
import { ApiError } from './api.js';

let idCounter = 0;
/** A document-unique id with a readable prefix. */
export function uid(prefix = 'k') {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

// Properties set as DOM properties rather than attributes (their live state matters).
const PROPERTIES = new Set(['value', 'checked', 'selected', 'disabled', 'hidden', 'indeterminate',
  'multiple', 'required', 'readOnly', 'open']);

/**
 * Creates an element: h('button', {class: 'primary', type: 'button', onclick: fn}, 'Save').
 *
 * attrs: `class` (string or array), `on<event>` functions, `dataset` object, boolean/ live
 * properties (value, checked, disabled, hidden…), anything else as an attribute; null, undefined
 * and false values are skipped. Children: nodes, strings/numbers (as text nodes), arrays
 * (flattened), null/undefined/false (skipped).
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class' || key === 'className') {
        const names = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
        if (names) el.className = names;
      } else if (key.startsWith('on') && typeof value === 'function') {
        el.addEventListener(key.slice(2).toLowerCase(), value);
      } else if (key === 'dataset') {
        for (const [k, v] of Object.entries(value)) if (v !== undefined && v !== null) el.dataset[k] = v;
      } else if (key === 'text') {
        el.textContent = String(value);
      } else if (PROPERTIES.has(key)) {
        el[key] = value;
        // So that form.reset() comes back to these values rather than to nothing.
        if (key === 'checked') el.defaultChecked = value;
        if (key === 'selected') el.defaultSelected = value;
      } else if (key === 'style') {
        // The CSP forbids inline styles; fail loudly in development rather than silently.
        throw new Error('style attributes are not allowed (CSP): use a class');
      } else {
        el.setAttribute(key, value === true ? '' : String(value));
      }
    }
  }
  append(el, children);
  return el;
}

/** Appends children the way h() does. */
export function append(parent, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false || child === true) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Removes every child of an element. */
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/**
 * A labelled form field: <div class="field"><label/>input<p hint/><p error/></div>.
 *
 * `input` gets an id if it has none; the label points at it. `error` (optional) is a message
 * shown at once. `options.hint` adds a hint linked with aria-describedby. The error paragraph is
 * always present (empty and hidden) so showErrors() can fill it later. For a checkbox or radio,
 * the label follows the input.
 */
export function field(label, input, error, options = {}) {
  // Tolerate field(label, input, {hint}) as well as field(label, input, null, {hint}).
  if (error && typeof error === 'object') {
    options = error;
    error = options.error || null;
  }
  if (!input.id) input.id = uid(input.name ? `f-${input.name.replace(/[^\w-]/g, '-')}` : 'f');
  const labelEl = h('label', { for: input.id, class: options.labelClass }, label);
  const described = [];
  let hintEl = null;
  if (options.hint) {
    hintEl = h('p', { class: 'hint', id: `${input.id}-hint` }, options.hint);
    described.push(hintEl.id);
  }
  const errorEl = h('p', { class: 'field-error', id: `${input.id}-error`, hidden: true });
  if (described.length) input.setAttribute('aria-describedby', described.join(' '));
  const inline = input.type === 'checkbox' || input.type === 'radio';
  const wrapper = h('div', { class: ['field', inline && 'field-inline', options.class] },
    inline ? [input, labelEl] : [labelEl, input], hintEl, errorEl);
  if (error) setFieldError(input, error);
  return wrapper;
}

/** The error paragraph that belongs to an input (made by field()), created if missing. */
function errorElementFor(input) {
  let el = document.getElementById(`${input.id || (input.id = uid('f'))}-error`);
  if (!el) {
    el = h('p', { class: 'field-error', id: `${input.id}-error` });
    input.insertAdjacentElement('afterend', el);
  }
  return el;
}

/** Marks an input invalid with a message linked by aria-describedby. */
export function setFieldError(input, message) {
  const el = errorElementFor(input);
  el.textContent = message;
  el.hidden = false;
  input.setAttribute('aria-invalid', 'true');
  const ids = (input.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
  if (!ids.includes(el.id)) ids.push(el.id);
  input.setAttribute('aria-describedby', ids.join(' '));
}

/** Clears one input's error. */
export function clearFieldError(input) {
  input.removeAttribute('aria-invalid');
  const el = input.id && document.getElementById(`${input.id}-error`);
  if (el) {
    el.textContent = '';
    el.hidden = true;
  }
}

/** Clears every error of a form (field errors and the summary at its top). */
export function clearErrors(form) {
  for (const input of form.querySelectorAll('[aria-invalid="true"]')) clearFieldError(input);
  const summary = form.querySelector(':scope > .form-errors');
  if (summary) {
    clear(summary);
    summary.hidden = true;
  }
}

/** The input an API error path designates: data-field first, then name, then the last segment. */
function findInput(form, path) {
  if (!path) return null;
  const esc = (s) => (window.CSS && CSS.escape ? CSS.escape(s) : s.replace(/["\\]/g, '\\$&'));
  return form.querySelector(`[data-field="${esc(path)}"]`)
    || form.querySelector(`[name="${esc(path)}"]`)
    || (path.includes('.') ? findInput(form, path.slice(path.lastIndexOf('.') + 1)) : null);
}

/** The human message of any error (ApiError or not), in the current language when known. */
export function errorMessage(error) {
  if (!error) return '';
  if (error instanceof ApiError) {
    switch (error.code) {
      case 'network':
        return t('Le serveur ne répond pas. Vérifiez la connexion et réessayez.',
          'The server does not answer. Check the connection and try again.');
      case 'forbidden':
        return t('Votre rôle ne permet pas cette action.', 'Your role does not allow this action.');
      case 'csrf':
        return t('La session a expiré : rechargez la page.', 'The session expired: reload the page.');
      case 'not_found':
        return t('Introuvable : l’élément a peut-être été supprimé.', 'Not found: it may have been deleted.');
      case 'throttled':
        return t('Trop de tentatives, réessayez plus tard.', 'Too many attempts, try again later.');
      default:
        // API messages are English, lowercase and short; shown as they are.
        return error.message || error.code;
    }
  }
  return error.message || String(error);
}

/**
 * Shows an API error on a form: beside the matching inputs (`field` / `fields[]` paths, matched
 * against data-field or name), otherwise in the role="alert" summary at the top of the form.
 * Moves focus to the first invalid input (or the summary). Returns the number of messages shown.
 */
export function showErrors(form, apiError) {
  clearErrors(form);
  const pairs = [];
  if (apiError instanceof ApiError) {
    if (apiError.fields.length) {
      for (const f of apiError.fields) pairs.push([f.field, f.message || apiError.message]);
    } else if (apiError.field) {
      pairs.push([apiError.field, errorMessage(apiError)]);
    } else {
      // Many APIs answer one problem as "field: message" (e.g. "handle: must be a Bluesky
      // handle"): use the prefix as the field path when an input has that name.
      const m = /^([a-z_][\w.[\]]*): (.+)$/s.exec(apiError.message || '');
      if (m && apiError.status >= 400 && apiError.status < 500 && findInput(form, m[1])) {
        pairs.push([m[1], m[2]]);
      } else {
        pairs.push([null, errorMessage(apiError)]);
      }
    }
  } else {
    pairs.push([null, errorMessage(apiError)]);
  }

  let summary = form.querySelector(':scope > .form-errors');
  if (!summary) {
    summary = h('div', { class: 'form-errors', role: 'alert', tabindex: '-1', hidden: true });
    form.prepend(summary);
  }
  let first = null;
  const unplaced = [];
  for (const [path, message] of pairs) {
    const input = findInput(form, path);
    if (input) {
      setFieldError(input, message);
      first = first || input;
    } else {
      unplaced.push(path ? `${path} : ${message}` : message);
    }
  }
  if (unplaced.length) {
    summary.append(h('p', null, t('Le formulaire n’a pas été enregistré :', 'The form was not saved:')));
    summary.append(h('ul', null, unplaced.map((m) => h('li', null, m))));
    summary.hidden = false;
    first = summary;
  } else if (first) {
    // A short alert too, so screen reader users hear that something went wrong.
    summary.append(h('p', null, t('Corrigez le champ signalé.', 'Fix the flagged field.')));
    summary.hidden = false;
  }
  if (first) first.focus();
  return pairs.length;
}

/** Says something in the #status live region (polite). Repeating a message re-announces it. */
export function announce(text) {
  const status = document.getElementById('status');
  if (!status) return;
  status.textContent = '';
  // A tick between clearing and writing makes screen readers notice a repeated message.
  setTimeout(() => {
    status.textContent = text;
  }, 50);
}

/**
 * A modal <dialog> with a title, content and buttons. Resolves with the value of the button
 * used (or null on Escape / cancel). If `form` is true the content is wrapped in a <form> and
 * the submit button resolves with its FormData after `validate(form)` returns true; with
 * `onSubmit(form, formData)` (async) the dialog stays open until it succeeds, resolves with its
 * result, and shows a thrown API error inside the dialog (showErrors).
 * Focus goes to the first field (or the first button) and back to the opener afterwards.
 *
 * `content` may also be a function `(close) => nodes`: `close(value)` ends the dialog with that
 * value (a picker's choice). `submitLabel: false` leaves the submit button out (the cancel
 * button, then best labelled "Fermer", closes). `className` adds classes to the <dialog>;
 * `describedBy` is the id of an element inside `content` that describes it (aria-describedby).
 */
export function openDialog({ title, content, submitLabel, cancelLabel, form: isForm = false,
  danger = false, validate = null, onSubmit = null, testid = null, className = null, describedBy = null }) {
  const opener = document.activeElement;
  const titleId = uid('dialog-title');
  return new Promise((resolve) => {
    const cancel = h('button', { type: 'button', class: 'secondary', 'data-testid': testid ? `${testid}-cancel` : 'dialog-cancel' },
      cancelLabel || t('Annuler', 'Cancel'));
    const submit = submitLabel === false ? null : h('button', { type: isForm ? 'submit' : 'button', class: danger ? 'danger' : 'primary',
      'data-testid': testid ? `${testid}-submit` : 'dialog-confirm' }, submitLabel || t('Confirmer', 'Confirm'));
    const body = h(isForm ? 'form' : 'div', { class: 'dialog-body', novalidate: isForm || null },
      typeof content === 'function' ? content((value) => finish(value)) : content,
      h('div', { class: 'actions' }, submit, cancel));
    const dialog = h('dialog', { class: ['dialog', className], 'aria-labelledby': titleId,
      'aria-describedby': describedBy, 'data-testid': testid },
    h('h2', { id: titleId }, title), body);

    let done = false;
    const finish = (value) => {
      if (done) return;
      done = true;
      if (typeof dialog.close === 'function' && dialog.open) dialog.close();
      dialog.remove();
      if (opener && typeof opener.focus === 'function' && document.contains(opener)) opener.focus();
      resolve(value);
    };
    cancel.addEventListener('click', () => finish(null));
    // Escape closes a modal dialog natively; the fallback (no showModal) needs it by hand.
    dialog.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && typeof dialog.showModal !== 'function') finish(null);
    });
    // Escape fires "cancel" then "close"; both end with null.
    dialog.addEventListener('close', () => finish(null));
    if (isForm) {
      body.addEventListener('submit', async (event) => {
        event.preventDefault();
        clearErrors(body);
        if (validate && !validate(body)) {
          const invalid = body.querySelector('[aria-invalid="true"]');
          if (invalid) invalid.focus();
          return;
        }
        if (!onSubmit) {
          finish(new FormData(body));
          return;
        }
        // The dialog stays open while the request runs, and shows the API's errors in place.
        submit.disabled = true;
        try {
          finish(await onSubmit(body, new FormData(body)));
        } catch (error) {
          showErrors(body, error);
        } finally {
          submit.disabled = false;
        }
      });
    } else if (submit) {
      submit.addEventListener('click', () => finish(true));
    }

    document.body.append(dialog);
    if (typeof dialog.showModal === 'function') {
      dialog.showModal();
    } else {
      // Very old browsers: show it inline, still keyboard reachable.
      dialog.setAttribute('open', '');
    }
    const firstField = body.querySelector('input, select, textarea');
    (firstField || submit || cancel).focus();
  });
}

/** Asks a yes/no question in a modal <dialog>; resolves true or false. */
export async function confirmDialog(text, options = {}) {
  const answer = await openDialog({
    title: options.title || t('Confirmation', 'Confirmation'),
    content: h('p', null, text),
    submitLabel: options.confirmLabel,
    cancelLabel: options.cancelLabel,
    danger: options.danger,
    testid: options.testid || 'confirm-dialog',
  });
  return answer === true;
}

/** The screen's <h1> (the router focuses it). Extra nodes go beside it in a header. */
export function pageHeader(title, ...actions) {
  return h('div', { class: 'page-header' },
    h('h1', { tabindex: '-1' }, title),
    actions.length ? h('div', { class: 'page-actions' }, actions) : null);
}

/** A button. */
export function button(label, onclick, attrs = {}) {
  return h('button', { type: 'button', class: 'secondary', ...attrs, onclick }, label);
}

/** A "loading" placeholder that screen readers hear. */
export function loading() {
  return h('p', { class: 'loading', role: 'status' }, t('Chargement…', 'Loading…'));
}

/** An error box with a message (role=alert). */
export function errorBox(error) {
  return h('div', { class: 'error-box', role: 'alert' }, errorMessage(error));
}

/** An empty-list message. */
export function empty(text) {
  return h('p', { class: 'empty' }, text);
}

/** A state badge: the CSS class is the state name, the text is its translation. */
export function badge(text, kind) {
  return h('span', { class: ['badge', kind && `badge-${kind}`] }, text);
}

/**
 * Runs an action from a button: disables it while running, announces success, shows errors.
 * `onError(error)` overrides the default (announce + alert next to the button).
 */
export async function busy(buttonEl, action, { success, onError } = {}) {
  buttonEl.disabled = true;
  buttonEl.setAttribute('aria-busy', 'true');
  try {
    const result = await action();
    if (success) announce(success);
    return result;
  } catch (error) {
    if (onError) onError(error);
    else announce(errorMessage(error));
    return undefined;
  } finally {
    if (buttonEl.isConnected) {
      buttonEl.disabled = false;
      buttonEl.removeAttribute('aria-busy');
    }
  }
}

/** Reads a form's named inputs into a plain object (checkboxes as booleans). */
export function formValues(form) {
  const values = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.type === 'checkbox') values[el.name] = el.checked;
    else if (el.type === 'radio') { if (el.checked) values[el.name] = el.value; }
    else values[el.name] = el.value;
  }
  return values;
}
