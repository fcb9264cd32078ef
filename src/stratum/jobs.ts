/**
 * The jobs one connection was sent, with the difficulty in force when each was sent (pure).
 *
 * Miners such as cpuminer 2.5.1 rebuild their work only when the job id changes, so a new
 * difficulty reaches them as `mining.set_difficulty` followed by the current job under a new id;
 * shares are then held to the difficulty of the job they name (or the connection's difficulty
 * now, when that is lower), and credited at it.
 */
export interface SentJob {
  /** the backend's id of the job */
  backendId: string;
  /** the connection's difficulty when the job was sent */
  difficulty: number;
}

/** Jobs remembered per connection (the backend keeps 16; more than that are stale anyway). */
export const MAX_SENT_JOBS = 32;

export class JobBook {
  private readonly sent = new Map<string, SentJob>();

  /** Records a job sent under `id` (a re-sent id takes the difficulty it was sent with last). */
  add(id: string, backendId: string, difficulty: number): void {
    this.sent.delete(id);
    this.sent.set(id, { backendId, difficulty });
    if (this.sent.size > MAX_SENT_JOBS) this.sent.delete(this.sent.keys().next().value as string);
  }

  get(id: string): SentJob | undefined {
    return this.sent.get(id);
  }

  get size(): number {
    return this.sent.size;
  }
}

/**
 * Ids for jobs re-issued under a new id: hex like the backend's, from a range a backend counter
 * does not reach (2^44 and up), and distinct across the whole server.
 */
export class ReissueIds {
  private n = 0;
  next(): string {
    this.n++;
    return (2 ** 44 + this.n).toString(16);
  }
}
