import { LRUCache } from 'lru-cache';

/**
 * Stored models loaded into TensorFlow once and kept by id, at most `size` of them: a stored
 * model's weights never change, so its id is the key. The scoring activity keeps its scorers here
 * and the API its explainers. A load that fails is not kept (the next use tries again); a model
 * pushed out while a caller still uses it is freed once that caller is done.
 */
export class LoadedModels<T extends { dispose(): void }> {
  private readonly loaded: LRUCache<number, Promise<T>>;

  constructor(size: number) {
    this.loaded = new LRUCache({
      max: size,
      dispose: (pending) => void pending.then((model) => setImmediate(() => model.dispose()), () => undefined),
    });
  }

  /** How many models are loaded (or loading) now. */
  get size(): number {
    return this.loaded.size;
  }

  /** The model of `id`, loading it with `load` on a miss only. */
  get(id: number, load: () => Promise<T>): Promise<T> {
    let pending = this.loaded.get(id);
    if (!pending) {
      pending = load();
      this.loaded.set(id, pending);
      pending.catch(() => {
        if (this.loaded.peek(id) === pending) this.loaded.delete(id);
      });
    }
    return pending;
  }

  clear(): void {
    this.loaded.clear();
  }
}
