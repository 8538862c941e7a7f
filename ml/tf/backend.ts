import * as tf from './tfjs';

export type TensorFlow = typeof tf;
export type BackendPreference = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

export interface TensorFlowRuntime {
  tf: TensorFlow;
  /** The backend actually in use, for the caller to log: 'tensorflow', 'wasm' or 'cpu'. */
  backend: string;
}

// The optional native package is named through a variable so that TypeScript and bundlers do not
// require it to be installed; its install step often fails because it downloads libtensorflow.
const NATIVE_PACKAGE = '@tensorflow/tfjs-node';

const chosen = new Map<BackendPreference, Promise<string>>();

/**
 * Picks and activates a TensorFlow.js backend. Repeated calls reuse the first decision for each
 * preference, so a long-lived worker pays the wasm start-up (and the native load attempt) once.
 */
export async function initTensorFlow(preference: BackendPreference = 'auto'): Promise<TensorFlowRuntime> {
  let pending = chosen.get(preference);
  if (!pending) {
    pending = chooseBackend(preference);
    chosen.set(preference, pending);
    // A failure is not cached: the caller may fix the installation and try again.
    pending.catch(() => chosen.delete(preference));
  }
  const backend = await pending;
  // Another preference may have switched the global engine since; switch back.
  if (tf.getBackend() !== backend) await activate(backend);
  return { tf, backend };
}

async function chooseBackend(preference: BackendPreference): Promise<string> {
  switch (preference) {
    case 'cpu':
      await activate('cpu');
      return 'cpu';
    case 'wasm':
      await activateWasm();
      return 'wasm';
    case 'tensorflow': {
      const failure = await tryNative();
      if (failure) {
        throw new Error(
          `TensorFlow backend 'tensorflow' was requested but ${NATIVE_PACKAGE} could not be loaded (${failure}); ` +
            `install it (it downloads libtensorflow) or set ECGFLOW_TF_BACKEND=wasm`,
        );
      }
      return 'tensorflow';
    }
    case 'auto':
      if (!(await tryNative())) return 'tensorflow';
      await activateWasm();
      return 'wasm';
  }
}

/** Returns null when the native backend is active, else why it is not. */
async function tryNative(): Promise<string | null> {
  try {
    await import(/* @vite-ignore */ NATIVE_PACKAGE);
  } catch (error) {
    return (error as Error).message.split('\n')[0] ?? String(error);
  }
  // A second copy of @tensorflow/tfjs-core would register the backend in its own engine, not ours.
  if (!tf.findBackendFactory('tensorflow')) return `${NATIVE_PACKAGE} registered no backend with this copy of TensorFlow.js`;
  try {
    await activate('tensorflow');
    multiplyOnce();
  } catch (error) {
    return (error as Error).message;
  }
  return null;
}

/**
 * A backend can load and still fail at its first op: tfjs-node 4.22 calls util.isNullOrUndefined,
 * which Node 23 removed, so on Node 24 it registers and then throws on every kernel.
 */
function multiplyOnce(): void {
  const product = tf.tidy(() => tf.mul(tf.tensor1d([2]), tf.tensor1d([3])).dataSync()[0]);
  if (product !== 6) throw new Error(`the backend computed 2 × 3 = ${product}`);
}

async function activateWasm(): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm');
  await activate('wasm');
}

async function activate(backend: string): Promise<void> {
  const ok = await tf.setBackend(backend);
  if (!ok || tf.getBackend() !== backend) throw new Error(`TensorFlow.js backend '${backend}' failed to initialise`);
}
