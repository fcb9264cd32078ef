import { InputError } from '../../core/index.js';

/** A listen error as the line a user can act on (EADDRINUSE / EACCES: which port, which flag); others unchanged. */
export function portInUse(err: unknown, key: 'node_red_port' | 'status_port', what: string, port: number, guess: string, more: string): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  const flag = `--${key.replace(/_/g, '-')}`;
  if (code === 'EADDRINUSE') return new InputError(`${what} port ${port} is in use (${guess}); choose another with ${flag} P (0: any free port)${more}`, key);
  if (code === 'EACCES')
    return new InputError(`${what} port ${port} needs privileges this user does not have; choose a port above 1023 with ${flag} P${more}`, key);
  return err;
}
