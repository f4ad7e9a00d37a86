import { InputError } from '../errors';

/**
 * A decoding problem on its way out of nested decoders. Each level it passes through adds its
 * field name, so the InputError it becomes names the full path without building paths up front.
 */
export class FieldFault extends Error {
  readonly path: string[] = [];

  constructor(
    readonly problem: string,
    readonly offset?: number,
  ) {
    super(problem);
  }
}

/** Adds `name` (or `name[index]`) to the front of a FieldFault's path; other errors pass through. */
export function within(e: unknown, name: string, index = -1): unknown {
  if (e instanceof FieldFault) e.path.unshift(index >= 0 ? `${name}[${index}]` : name);
  return e;
}

export function toInputError(e: unknown): unknown {
  if (!(e instanceof FieldFault)) return e;
  const field = e.path.join('.');
  const message = field === '' ? e.problem : `${field}: ${e.problem}`;
  return new InputError(message, e.offset === undefined ? { field } : { field, offset: e.offset });
}

export type FieldNames = Readonly<Record<number, string>>;

/** Adds the field being decoded when a fault passed through (field 0: the fault was in a tag). */
export function inField(e: unknown, names: FieldNames, field: number, index = -1): unknown {
  return field === 0 ? e : within(e, names[field] ?? `field ${field}`, index);
}
