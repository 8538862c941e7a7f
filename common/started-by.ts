// Who started a workflow run: an API key, a person at the CLI, or a Temporal Schedule. Pure code
// with no Node or database imports, so the workflows (which record it), the clients (which set it
// as the run's `startedBy` memo), the API and the audit queries share one schema.
//
// The memo travels in the run's history, not in the visibility index: it may carry a name. A
// search attribute would be stored unencrypted, so none carries the initiator.

export const STARTED_BY_KINDS = ['api-key', 'cli', 'schedule'] as const;
export type StartedByKind = (typeof STARTED_BY_KINDS)[number];

export interface StartedBy {
  kind: StartedByKind;
  /** The API key's name, the OS user, or the schedule id. */
  name: string;
  /** The API key's id (api-key only). */
  keyId?: number;
}

/** The memo key the initiator travels under. */
export const STARTED_BY_MEMO = 'startedBy';

/**
 * Bytes of UTF-8 a name takes at most, as `workflow_runs.started_by_name` (varchar(255)) holds
 * whatever character set a deployment gave it: key names are at most 100 characters, OS users 32,
 * schedule ids 100.
 */
export const MAX_STARTED_BY_NAME_BYTES = 255;
/** `workflow_runs.started_by_key_id` is an int unsigned. */
const MAX_KEY_ID = 0xffffffff;

export class StartedByError extends Error {
  override name = 'StartedByError';
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;
const LONE_SURROGATES = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function isKind(value: unknown): value is StartedByKind {
  return typeof value === 'string' && (STARTED_BY_KINDS as readonly string[]).includes(value);
}

function isKeyId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_KEY_ID;
}

/**
 * The validating parser of an initiator, for memos this code may not have written (another tool,
 * a raw client, a hostile one) as much as for its own. Never throws: not an initiator at all (an
 * unknown kind, a name that is not text or is blank) → null; a name over 255 bytes of UTF-8 is
 * cut (with "…"); control characters and lone surrogates become U+FFFD; a bad key id is dropped.
 * Cheap on huge input: only the head of a name is looked at.
 */
export function startedByOfMemo(value: unknown): StartedBy | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const { kind, name, keyId } = value as Record<string, unknown>;
  if (!isKind(kind) || typeof name !== 'string') return null;
  const head = name.slice(0, 2 * MAX_STARTED_BY_NAME_BYTES).replace(LONE_SURROGATES, '\ufffd').replace(CONTROLS, '\ufffd');
  const clean = head.length < name.length || utf8Bytes(head) > MAX_STARTED_BY_NAME_BYTES ? cutToBytes(head, MAX_STARTED_BY_NAME_BYTES) : head;
  if (clean.trim().length === 0) return null;
  return kind === 'api-key' && isKeyId(keyId) ? { kind, name: clean, keyId } : { kind, name: clean };
}

/** UTF-8 length, counted by hand: the workflow sandbox is not promised Buffer or TextEncoder. */
function utf8Bytes(text: string): number {
  let bytes = 0;
  for (const character of text) {
    const code = character.codePointAt(0)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** At most `maxBytes` of UTF-8, whole characters only, ending in "…" (3 bytes) to show the cut. */
function cutToBytes(text: string, maxBytes: number): string {
  let budget = maxBytes - 3;
  let cut = '';
  for (const character of text) {
    budget -= utf8Bytes(character);
    if (budget < 0) break;
    cut += character;
  }
  return `${cut}…`;
}

/**
 * Who started a run: its memo, else (schedules created before runs carried the memo) the
 * `TemporalScheduledById` search attribute the server sets on scheduled runs. Null when neither
 * tells. Either can be set by any client allowed to start workflows in the namespace: the API and
 * the CLI are what set them truthfully.
 */
export function startedByOfRun(memo: Record<string, unknown> | undefined, scheduledById: unknown): StartedBy | null {
  const fromMemo = startedByOfMemo(memo?.[STARTED_BY_MEMO]);
  if (fromMemo) return fromMemo;
  return typeof scheduledById === 'string' ? startedByOfMemo({ kind: 'schedule', name: scheduledById }) : null;
}

/** What `?startedBy=` selects: a kind, and optionally the key id (api-key) or the name (cli, schedule). */
export interface StartedByFilter {
  kind: StartedByKind;
  keyId?: number;
  name?: string;
}

/**
 * The filter text: `api-key`, `api-key:<key id>`, `cli`, `cli:<os user>`, `schedule`,
 * `schedule:<schedule id>`. Throws a StartedByError saying what is accepted.
 */
export function parseStartedByFilter(text: string): StartedByFilter {
  const colon = text.indexOf(':');
  const kind = colon === -1 ? text : text.slice(0, colon);
  const rest = colon === -1 ? undefined : text.slice(colon + 1);
  const accepted = 'expected api-key, api-key:<key id>, cli, cli:<user>, schedule or schedule:<schedule id>';
  if (!isKind(kind)) throw new StartedByError(`startedBy: ${accepted}, got ${JSON.stringify(text.slice(0, 40))}`);
  if (rest === undefined) return { kind };
  if (kind === 'api-key') {
    const keyId = /^[1-9]\d{0,9}$/.test(rest) ? Number(rest) : NaN;
    if (!isKeyId(keyId)) throw new StartedByError(`startedBy: api-key:<key id> takes a key id, a whole number from 1 to ${MAX_KEY_ID}, got ${JSON.stringify(rest.slice(0, 40))}`);
    return { kind, keyId };
  }
  if (rest.length === 0 || utf8Bytes(rest) > MAX_STARTED_BY_NAME_BYTES || CONTROL.test(rest)) {
    throw new StartedByError(`startedBy: ${kind}:<name> takes a name of 1 to ${MAX_STARTED_BY_NAME_BYTES} bytes of UTF-8 without control characters`);
  }
  return { kind, name: rest };
}

/** One line for people: `api-key "ops bot" (key 12)`, `cli alice`, `schedule ecgflow-daily`, or `-`. */
export function describeStartedBy(startedBy: StartedBy | null | undefined): string {
  if (!startedBy) return '-';
  if (startedBy.kind === 'api-key') return `api-key ${JSON.stringify(startedBy.name)}${startedBy.keyId !== undefined ? ` (key ${startedBy.keyId})` : ''}`;
  return `${startedBy.kind} ${startedBy.name}`;
}
