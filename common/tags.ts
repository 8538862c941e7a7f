/** Model tags become parts of workflow ids and CLI arguments, so they are kept to a safe alphabet. */
export const MODEL_TAG_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export class TagError extends Error {
  override name = 'TagError';
}

export function validateModelTag(tag: unknown): string {
  if (typeof tag !== 'string' || !MODEL_TAG_PATTERN.test(tag)) {
    throw new TagError(
      `tag: expected 1-128 characters of letters, digits, '.', '_' or '-' starting with a letter or digit, got ${JSON.stringify(tag)}`,
    );
  }
  return tag;
}
