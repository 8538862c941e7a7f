import { Type, type TSchema } from 'typebox';

// Small TypeBox helpers every contract uses. Contracts import nothing but TypeBox and each other,
// so the API (route schemas, hence OpenAPI), the CLI, the workflows and the browser code can all
// take their types from the same schema.

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
