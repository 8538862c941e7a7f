// The API key lives in sessionStorage: it survives page changes and reloads of this tab, and
// disappears when the tab closes. It is never written anywhere else.

const KEY = 'ecgflow.apiKey';
/** Why the login page was shown again (e.g. the key was rejected), for it to tell the person. */
const REASON = 'ecgflow.loginReason';

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function saveKey(key: string): void {
  sessionStorage.setItem(KEY, key);
}

export function clearSession(): void {
  sessionStorage.clear();
}

/** Back to the login page, remembering why so it can say so. */
export function goToLogin(reason?: string): void {
  clearSession();
  if (reason) sessionStorage.setItem(REASON, reason);
  window.location.assign('index.html');
}

/** The reason recorded by goToLogin, read once. */
export function takeLoginReason(): string | null {
  const reason = sessionStorage.getItem(REASON);
  sessionStorage.removeItem(REASON);
  return reason;
}
