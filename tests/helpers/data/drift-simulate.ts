import { assertBeatMatrix, type BeatMatrix } from '../../../ml/matrix';
import { mulberry32 } from '../../../ml/random';

// The seeds' drift simulations: what a sensor or a population change does to a stream of beats.

/** Every sample times `factor`: a gain change. */
export function scaleAmplitude(beats: BeatMatrix, factor: number): BeatMatrix {
  return mapSamples(beats, (v) => v * factor);
}

/** Every sample plus `offset`: a baseline wander that does not wander back. */
export function shiftBaseline(beats: BeatMatrix, offset: number): BeatMatrix {
  return mapSamples(beats, (v) => v + offset);
}

/** Gaussian noise of standard deviation `sigma`, reproducible from `seed`. */
export function addNoise(beats: BeatMatrix, sigma: number, seed: number): BeatMatrix {
  const random = mulberry32(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return mapSamples(beats, (v) => v + sigma * gaussian());
}

function mapSamples(beats: BeatMatrix, f: (v: number) => number): BeatMatrix {
  assertBeatMatrix(beats, 'beats');
  return { samples: beats.samples.map(f), count: beats.count };
}
