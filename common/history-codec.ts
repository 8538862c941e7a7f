import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { decode } from '@temporalio/common/lib/internal-non-workflow/codec-helpers';
import { visit, walkGetWorkflowExecutionHistoryResponse } from '@temporalio/common/lib/internal-non-workflow/payload-visitor';
import proto from '@temporalio/proto';

// How an archived history is kept: Temporal's protobuf JSON (the format `temporal workflow show
// --output json` writes and the SDK's replayer reads), gzipped. Read back, it is the same History
// message the client's fetchHistory() gives, so the timeline and the raw view cannot tell them apart.

type History = proto.temporal.api.history.v1.IHistory;
type EventType = proto.temporal.api.enums.v1.EventType;

export interface EncodedHistory {
  /** gzip of the protobuf JSON. */
  bytes: Buffer;
  /** sha256 of `bytes`. */
  sha256: Buffer;
  jsonBytes: number;
  eventCount: number;
}

export function encodeHistory(history: History): EncodedHistory {
  const json = Buffer.from(historyToJSON(history));
  const bytes = gzipSync(json, { level: 9 });
  return { bytes, sha256: sha256Of(bytes), jsonBytes: json.length, eventCount: history.events?.length ?? 0 };
}

export function decodeHistory(bytes: Buffer): proto.temporal.api.history.v1.History {
  const parsed = historyFromJSON(JSON.parse(gunzipSync(bytes).toString('utf8')));
  // historyFromJSON gives int64s as numbers; the client's decoder gives Longs. A round trip through
  // the wire format gives exactly what fetchHistory() would have.
  const History = proto.temporal.api.history.v1.History;
  return History.decode(History.encode(History.fromObject(parsed)).finish());
}

/**
 * The history with its payloads passed through the codecs (decrypted when ECGFLOW_PAYLOAD_KEYS is
 * set), in place, for display: the archive keeps the bytes exactly as Temporal returned them, as
 * evidence. A payload no codec can open (its key is no longer listed) stays as it was, so one
 * unreadable payload does not hide the rest of the run. Search attributes are never encoded.
 */
export async function decodeHistoryPayloads<H extends History>(history: H, codecs: readonly PayloadCodec[]): Promise<H> {
  if (codecs.length === 0) return history;
  const decodeOrKeep = async (payloads: Payload[]): Promise<Payload[]> => {
    try {
      return await decode([...codecs], payloads);
    } catch {
      return payloads.length === 1 ? payloads : Promise.all(payloads.map(async (p) => (await decodeOrKeep([p]))[0]!));
    }
  };
  await visit({ history }, walkGetWorkflowExecutionHistoryResponse, {
    transformPayload: async (payload) => (await decodeOrKeep([payload]))[0]!,
    transformPayloads: decodeOrKeep,
    skipSearchAttributes: true,
  });
  return history;
}

export function sha256Of(bytes: Buffer): Buffer {
  return createHash('sha256').update(bytes).digest();
}

const E = proto.temporal.api.enums.v1.EventType;
const CLOSE_STATUS = new Map<EventType, string>([
  [E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, 'completed'],
  [E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, 'failed'],
  [E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, 'canceled'],
  [E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, 'terminated'],
  [E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, 'continued'],
  [E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, 'timed_out'],
]);

/** How the run closed, from its last event; undefined while the history is still open. */
export function closeStatusOf(history: History): string | undefined {
  const last = history.events?.at(-1);
  return last?.eventType == null ? undefined : CLOSE_STATUS.get(last.eventType);
}
