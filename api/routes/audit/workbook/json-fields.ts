/**
 * A JSON record taken apart for the workbook: well-known fields are taken out one at a time, with
 * their type checked, to become typed columns; what is left (unknown fields, fields of an
 * unexpected type) is the open-ended rest, written as one "… (JSON)" column, so nothing recorded
 * is lost. Nested objects taken with `object()` disappear from the rest once emptied.
 */
export class JsonFields {
  private readonly fields: Record<string, unknown>;
  /** A value that is not a JSON object (an array, a scalar, text that is not JSON): kept whole. */
  private readonly other: unknown;
  private readonly children = new Map<string, JsonFields>();

  constructor(value: unknown) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      this.fields = value as Record<string, unknown>;
      this.other = undefined;
    } else {
      this.fields = {};
      this.other = value;
    }
  }

  /** Text that does not parse is kept as it is, in the rest. */
  static parse(json: string | null | undefined): JsonFields {
    if (json === null || json === undefined || json === '') return new JsonFields(undefined);
    try {
      return new JsonFields(JSON.parse(json));
    } catch {
      return new JsonFields(json);
    }
  }

  number(key: string): number | null {
    return this.take(key, (v): v is number => typeof v === 'number' && Number.isFinite(v));
  }

  text(key: string): string | null {
    return this.take(key, (v): v is string => typeof v === 'string');
  }

  boolean(key: string): boolean | null {
    return this.take(key, (v): v is boolean => typeof v === 'boolean');
  }

  /** A field of any shape, as JSON text (for a column of its own that stays JSON). */
  json(key: string): string | null {
    if (!(key in this.fields) || this.fields[key] === null || this.fields[key] === undefined) {
      delete this.fields[key];
      return null;
    }
    const value = this.fields[key];
    delete this.fields[key];
    return JSON.stringify(value);
  }

  /** Drops a field that only repeats what a column already shows. */
  dropIf(key: string, value: unknown): void {
    if (this.fields[key] === value) delete this.fields[key];
  }

  /** The fields of a nested object; an absent or non-object field gives an empty one (and stays in the rest). */
  object(key: string): JsonFields {
    const existing = this.children.get(key);
    if (existing) return existing;
    const value = this.fields[key];
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return new JsonFields(undefined);
    const child = new JsonFields(value);
    this.children.set(key, child);
    return child;
  }

  /** What was not taken, as JSON; null when nothing is left. */
  restJson(): string | null {
    const rest = this.rest();
    return rest === undefined ? null : JSON.stringify(rest);
  }

  private rest(): unknown {
    if (this.other !== undefined) return this.other;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(this.fields)) {
      const child = this.children.get(key);
      if (child) {
        const left = child.rest();
        if (left !== undefined) out[key] = left;
      } else {
        out[key] = value;
      }
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }

  /** Takes a field of the expected type; null (or absent) gives null; another type stays in the rest. */
  private take<T>(key: string, is: (v: unknown) => v is T): T | null {
    const value = this.fields[key];
    if (value === null || value === undefined) {
      delete this.fields[key];
      return null;
    }
    if (!is(value)) return null;
    delete this.fields[key];
    return value;
  }
}
