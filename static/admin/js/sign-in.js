// Enhances the sign-in form, which works without this script (plain form post, 303 redirect).
// With it: the `next` hash is kept, ?error=… messages are shown, and signing in uses fetch so a
// mistake is reported without a page load.

import { api, ApiError } from './api.js';

const form = document.getElementById('sign-in-form');
const params = new URLSearchParams(location.search);
const email = document.getElementById('email');
const password = document.getElementById('password');

// Only a console hash is accepted as "next": never a URL, so the page cannot be used to send
// someone elsewhere after signing in.
const nextRaw = params.get('next') || '';
const next = /^#\/[\w\-/?=&%.:]*$/.test(nextRaw) ? nextRaw : '#/';
document.getElementById('next').value = next;

function showError(kind) {
  for (const box of document.querySelectorAll('.sign-in-error')) box.classList.remove('shown');
  for (const input of [email, password]) {
    input.removeAttribute('aria-invalid');
    input.removeAttribute('aria-describedby');
  }
  if (!kind) return;
  const box = document.getElementById(`error-${kind}`) || document.getElementById('error-other');
  box.classList.add('shown');
  // Re-insert the text once shown, so every screen reader announces the alert (some ignore a
  // role="alert" element that only becomes visible).
  const parts = [...box.childNodes];
  box.replaceChildren();
  setTimeout(() => box.append(...parts), 50);
  // The message describes both fields, and the fields are flagged when the pair was wrong.
  for (const input of [email, password]) {
    input.setAttribute('aria-describedby', box.id);
    if (kind === 'invalid') input.setAttribute('aria-invalid', 'true');
  }
}

const initial = params.get('error');
if (initial) {
  showError(initial === 'invalid' || initial === 'throttled' ? initial : 'other');
  email.focus();
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  showError(null);
  try {
    await api('POST', '/api/staff/sign-in', { email: email.value, password: password.value },
      { redirectOn401: false });
    location.assign(`/admin/${next}`);
  } catch (error) {
    const kind = error instanceof ApiError
      ? (error.status === 401 ? 'invalid' : error.status === 429 ? 'throttled' : 'other')
      : 'other';
    showError(kind);
    password.value = '';
    (kind === 'invalid' ? email : password).focus();
  } finally {
    button.disabled = false;
  }
});
