/** An error caused by bad input (a flag, a file, a peer's message). The CLI prints its message and exits 2. */
export class InputError extends Error {
  constructor(
    message: string,
    /** the field, flag or parameter that was wrong */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'InputError';
  }
}
