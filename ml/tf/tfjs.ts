// The parts of TensorFlow.js the models use: the core ops, the layers API and the pure-JS CPU
// backend (always there; the wasm and native backends register themselves when loaded). The
// @tensorflow/tfjs umbrella would add the converter and data packages, which nothing here needs.
import '@tensorflow/tfjs-backend-cpu';

export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-layers';
