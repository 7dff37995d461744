/**
 * @module central/store/contract/chain
 * Runs tasks of one key one after the other, in the order they were queued, in this process:
 * the PostgreSQL store keeps an incident's revisions in arrival order this way while different
 * incidents run side by side (its advisory locks order them across instances); the embedded
 * store runs every revision's build and apply under one key, so each sees the one before.
 */
export class KeyedChain {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(key) ?? Promise.resolve();
    const run = prev.catch(() => {}).then(task);
    this.#tails.set(key, run);
    void run
      .catch(() => {})
      .then(() => {
        if (this.#tails.get(key) === run) this.#tails.delete(key);
      });
    return run;
  }
}
