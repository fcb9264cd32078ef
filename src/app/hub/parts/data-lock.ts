/**
 * Data lock part: one hub per data folder (lock.ts). First in the list, so a second hub on the same
 * folder stops with one line naming the first one's pid before any port is opened; released last.
 *
 * consumes: nothing; offers: nothing
 */
import { lockDataDir } from '../../lock.js';
import { Part } from '../context.js';

export class DataLockPart extends Part {
  readonly name = 'data lock';

  async start(): Promise<void> {
    const lock = lockDataDir(this.ctx.config.dataDir);
    this.stops.add('data lock', async () => lock.release());
  }
}
