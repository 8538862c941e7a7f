import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// The search attributes the workflows set and the API lists runs by. They must be registered on the
// server first (scripts/services.sh up does it): a workflow task fails on an unknown one. They are
// indexed in clear, beyond the payload codec: business keys only, never free text a person typed.

/** The model a run trains, scores with, promotes or checks. */
export const MODEL_TAG = defineSearchAttributeKey('ModelTag', SearchAttributeType.KEYWORD);
/** The day (YYYY-MM-DD) or day range (from..to) of the beats a run works on. */
export const DATA_DATE = defineSearchAttributeKey('DataDate', SearchAttributeType.KEYWORD);
/** The registry stage a run moves a model to (promotions and rollbacks). */
export const STAGE = defineSearchAttributeKey('Stage', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTE_NAMES = [MODEL_TAG.name, DATA_DATE.name, STAGE.name] as const;
