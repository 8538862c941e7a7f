import { describe, expect, it } from 'vitest';
import { LoadedModels } from '../../../ml/tf/loaded-models';

class FakeModel {
  disposed = false;
  constructor(readonly id: number) {}
  dispose(): void {
    this.disposed = true;
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('LoadedModels, the one cache of loaded models (scoring activity and API)', () => {
  it('loads a model once however often it is asked for, even while the first load is under way', async () => {
    const cache = new LoadedModels<FakeModel>(2);
    let loads = 0;
    const load = async () => {
      loads += 1;
      await settle();
      return new FakeModel(1);
    };
    const [a, b] = await Promise.all([cache.get(1, load), cache.get(1, load)]);
    expect(await cache.get(1, load)).toBe(a);
    expect(b).toBe(a);
    expect(loads).toBe(1);
  });

  it('keeps at most `size` models and frees the least recently used one', async () => {
    const cache = new LoadedModels<FakeModel>(2);
    const first = await cache.get(1, async () => new FakeModel(1));
    const second = await cache.get(2, async () => new FakeModel(2));
    await cache.get(1, async () => new FakeModel(99)); // 1 is now the most recently used
    await cache.get(3, async () => new FakeModel(3));
    await settle();
    expect(cache.size).toBe(2);
    expect(second.disposed).toBe(true);
    expect(first.disposed).toBe(false);
  });

  it('does not keep a failed load: the next use tries again', async () => {
    const cache = new LoadedModels<FakeModel>(2);
    await expect(cache.get(7, async () => Promise.reject(new Error('weights unreadable')))).rejects.toThrow('weights unreadable');
    await settle();
    expect(cache.size).toBe(0);
    expect((await cache.get(7, async () => new FakeModel(7))).id).toBe(7);
  });
});
