/**
 * @module central/store/contract/chain
 * Runs tasks of one key one after the other, in the order they were queued, in this process:
 * how both stores keep an incident's revisions in arrival order while different incidents run
 * side by side. PostgreSQL adds its advisory lock across instances.
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
