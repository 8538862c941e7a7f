import { api } from './api';
import { byId, el, showError } from './dom';
import { clearSession, goToLogin, storedKey } from './session';
import type { Me } from './types';

/**
 * Starts a signed-in page: without a key, back to login; with one, asks the API who it is (so a
 * revoked key is noticed at once), shows the name and role, and wires the logout button.
 */
export async function startPage(): Promise<Me | null> {
  if (!storedKey()) {
    goToLogin();
    return null;
  }
  byId('logout').addEventListener('click', () => {
    clearSession();
    window.location.assign('index.html');
  });
  try {
    const me = await api<Me>('/me');
    byId('whoami').replaceChildren('Signed in as ', el('strong', {}, me.name), ` (${me.role})`);
    return me;
  } catch (error) {
    showError(byId('page-error'), error, 'Could not check your API key');
    return null;
  }
}
