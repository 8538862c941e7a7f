import { Type, type TSchema } from 'typebox';
import { DAY_SOURCE } from '../common/dates';
import { MODEL_TAG_PATTERN } from '../common/tags';

// Small TypeBox pieces every contract uses. Contracts import nothing but TypeBox, each other and
// sandbox-safe constants, so the API (route schemas, hence OpenAPI), the CLI, the workflows and the
// browser code can all take their types from the same schema.

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const Tag = Type.String({ pattern: MODEL_TAG_PATTERN.source, description: "a model tag: letters, digits, '.', '_' or '-'" });

/** A calendar day; the calendar check (2026-02-30) is the receiver's, beyond the pattern. */
export const day = (description = 'a UTC day, YYYY-MM-DD') => Type.String({ pattern: `^${DAY_SOURCE}$`, description });

export const Day = day();

/** An inclusive range of days, both ends given. */
export const DayRangeSchema = Type.Object({ from: Day, to: Day });

/** A day, or a range of days, of beats: `date`, or `from` and `to`. */
export const DayWindowFields = { date: Type.Optional(Day), from: Type.Optional(Day), to: Type.Optional(Day) };
