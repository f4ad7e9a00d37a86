/**
 * Bad input at a boundary (a request body, a file, a flag). The message names what is wrong and
 * where — byte offset, line, field — so a user can act on it without reading our code.
 */
export class InputError extends Error {
  override name = 'InputError';
  constructor(
    message: string,
    readonly where: { file?: string; line?: number; offset?: number; field?: string } = {},
  ) {
    super(message);
  }

  /** The same error with the file it came from named first. */
  inFile(file: string, line?: number): InputError {
    const at = line !== undefined ? `${file}:${line}` : file;
    return new InputError(`${at}: ${this.message}`, { ...this.where, file, line: line ?? this.where.line });
  }
}
