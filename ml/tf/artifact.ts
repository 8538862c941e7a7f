import type * as tfTypes from './tfjs';
import type { TensorFlow } from './backend';

/**
 * A trained network in a storable form: the Keras-style topology and weight manifest as JSON,
 * the weights as raw little-endian bytes. Together with the normalisation and the threshold it
 * is everything needed to score, so a model can live in a database row (JSON + LONGBLOB).
 */
export interface ModelArtifact {
  topology: object;
  weightSpecs: object[];
  weights: Buffer;
}

export async function captureArtifact(tf: TensorFlow, model: tfTypes.LayersModel): Promise<ModelArtifact> {
  let captured: ModelArtifact | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      if (!artifacts.modelTopology || !artifacts.weightSpecs || !artifacts.weightData) {
        throw new Error('TensorFlow.js saved a model without topology, weight specs or weights');
      }
      if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error('expected a JSON (layers) topology, got a binary graph');
      const weightData = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      captured = {
        // A JSON round trip gives a plain object that survives storage unchanged.
        topology: JSON.parse(JSON.stringify(artifacts.modelTopology)) as object,
        weightSpecs: JSON.parse(JSON.stringify(artifacts.weightSpecs)) as object[],
        // Copied so that the artifact owns its bytes rather than a view into engine memory.
        weights: Buffer.from(new Uint8Array(weightData)),
      };
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) } as tfTypes.io.SaveResult;
    }),
  );
  if (!captured) throw new Error('TensorFlow.js did not call the save handler');
  return captured;
}

/** Rebuilds the network from a stored artifact; the caller owns (and must dispose) the model. */
export async function loadModel(tf: TensorFlow, artifact: ModelArtifact): Promise<tfTypes.LayersModel> {
  const weightSpecs = artifact.weightSpecs as tfTypes.io.WeightsManifestEntry[];
  const expectedBytes = weightSpecs.reduce((sum, spec) => sum + weightSpecBytes(spec), 0);
  if (artifact.weights.byteLength !== expectedBytes) {
    throw new Error(`model artifact is inconsistent: its weight specs describe ${expectedBytes} bytes, the blob has ${artifact.weights.byteLength}`);
  }
  // A Buffer read from a database may be a slice of a larger pooled allocation; give TensorFlow
  // an ArrayBuffer that holds exactly the weights.
  const bytes = artifact.weights;
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: artifact.topology, weightSpecs, weightData }));
}

function weightSpecBytes(spec: tfTypes.io.WeightsManifestEntry): number {
  if (spec.quantization) throw new Error(`quantised weights (${spec.name}) are not supported`);
  const bytesPerValue = spec.dtype === 'float32' || spec.dtype === 'int32' ? 4 : spec.dtype === 'bool' ? 1 : NaN;
  if (Number.isNaN(bytesPerValue)) throw new Error(`unsupported weight dtype ${spec.dtype} for ${spec.name}`);
  return spec.shape.reduce((n, d) => n * d, 1) * bytesPerValue;
}
