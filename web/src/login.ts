import { api, ApiError } from './api';
import { byId, clearError, showError } from './dom';
import { saveKey, takeLoginReason } from './session';
import type { Me } from './types';

// The login form: checks a key with GET /me before keeping it, then opens the page the key's role
// is for — the review queue if it may review, else the dashboard.

const form = byId<HTMLFormElement>('login-form');
const input = byId<HTMLInputElement>('api-key');
const errorRegion = byId('login-error');
const submit = byId<HTMLButtonElement>('login-submit');

const reason = takeLoginReason();
if (reason) showError(errorRegion, reason);
input.focus();

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void signIn(input.value.trim());
});

async function signIn(key: string): Promise<void> {
  clearError(errorRegion);
  if (!key) {
    showError(errorRegion, 'Enter your API key.');
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  submit.disabled = true;
  try {
    const me = await api<Me>('/me', { key });
    saveKey(key);
    window.location.assign(me.permissions.includes('review') ? 'review.html' : 'dashboard.html');
  } catch (error) {
    input.setAttribute('aria-invalid', 'true');
    showError(errorRegion, error, error instanceof ApiError && error.status === 401 ? 'This key was not accepted' : 'Could not sign in');
    input.focus();
  } finally {
    submit.disabled = false;
  }
}
