// Single-key shortcuts for the common review path. They never fire while the person types in a
// field (the note, the filters), nor with a modifier held, so browser shortcuts keep working.

export type Shortcuts = Record<string, (event: KeyboardEvent) => void>;

export function installShortcuts(shortcuts: Shortcuts): void {
  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTypingTarget(event.target)) {
      // Escape leaves a field, so the shortcuts work again without reaching for the mouse.
      if (event.key === 'Escape' && event.target instanceof HTMLElement) event.target.blur();
      return;
    }
    const action = shortcuts[event.key];
    if (!action) return;
    event.preventDefault();
    action(event);
  });
}

/** Fields that take typed text or arrow keys of their own. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) return !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(target.type);
  return false;
}
