/**
 * Model tags become parts of workflow ids, search attributes and CLI arguments, so they are kept to a
 * safe alphabet. Those are stored and indexed in clear, beyond the payload codec's reach: a tag is a
 * business key (`baseline-2026-03`), never a patient's or a person's name or any other personal data.
 */
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
