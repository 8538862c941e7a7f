import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { initTensorFlow } from '../../../ml/tf/backend';

function nativeInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

describe('initTensorFlow', () => {
  it('activates the wasm backend and reports it', async () => {
    const { tf, backend } = await initTensorFlow('wasm');
    expect(backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.add(tf.scalar(1), tf.scalar(2)).dataSync()[0]).toBe(3);
  });

  it('is idempotent and switches back when another preference moved the engine', async () => {
    const first = await initTensorFlow('wasm');
    const cpu = await initTensorFlow('cpu');
    expect(cpu.backend).toBe('cpu');
    expect(cpu.tf.getBackend()).toBe('cpu');
    const again = await initTensorFlow('wasm');
    expect(again.tf).toBe(first.tf);
    expect(again.backend).toBe('wasm');
    expect(again.tf.getBackend()).toBe('wasm');
  });

  it("falls back from 'auto' to wasm when the native backend cannot load", async () => {
    const { backend } = await initTensorFlow('auto');
    expect(backend).toBe(nativeInstalled() ? 'tensorflow' : 'wasm');
  });

  it.skipIf(nativeInstalled())("names the missing package when 'tensorflow' is demanded", async () => {
    await expect(initTensorFlow('tensorflow')).rejects.toThrow(
      /backend 'tensorflow' was requested but @tensorflow\/tfjs-node could not be loaded .*ECGFLOW_TF_BACKEND=wasm/,
    );
  });

  // Runs where scripts/setup-tfjs-node.sh built the native backend (setup does, when it can).
  it.runIf(nativeInstalled())('loads the native backend built against the tensorflow wheel, and computes with it', async () => {
    const { tf, backend } = await initTensorFlow('tensorflow');
    expect(backend).toBe('tensorflow');
    expect(tf.getBackend()).toBe('tensorflow');
    expect(Array.from(tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[1], [1]])).dataSync())).toEqual([3, 7]);
    await initTensorFlow('wasm');
  });
});
