import { describe, expect, it } from 'vitest';
import {
  DEFAULT_AUTOENCODER_HYPERPARAMETERS,
  HyperparameterError,
  parseHyperparameters,
  type AutoencoderHyperparameters,
} from '../../../ml/tf/autoencoder';
import { percentile, summariseLosses, thresholdFromLosses } from '../../../ml/planning/threshold';

describe('parseHyperparameters', () => {
  it("defaults to TensorFlow's tutorial recipe", () => {
    expect(parseHyperparameters({})).toEqual({
      epochs: 20,
      batchSize: 512,
      encoderUnits: [32, 16, 8],
      learningRate: 0.001,
      testFraction: 0.2,
      seed: 42,
      thresholdRule: 'mean+1std',
    });
    expect(parseHyperparameters()).toEqual(DEFAULT_AUTOENCODER_HYPERPARAMETERS);
  });

  it('overrides only the given fields and treats undefined as absent', () => {
    const parsed = parseHyperparameters({ epochs: 5, encoderUnits: [64, 8], thresholdRule: 'p95', seed: undefined });
    expect(parsed).toEqual({ ...DEFAULT_AUTOENCODER_HYPERPARAMETERS, epochs: 5, encoderUnits: [64, 8], thresholdRule: 'p95' });
  });

  it('returns a copy the caller may change without touching the defaults', () => {
    const parsed = parseHyperparameters({});
    parsed.encoderUnits.push(4);
    expect(DEFAULT_AUTOENCODER_HYPERPARAMETERS.encoderUnits).toEqual([32, 16, 8]);
  });

  const bad: Array<[string, Record<string, unknown>, RegExp]> = [
    ['epochs', { epochs: 0 }, /hyperparameter epochs: must be an integer from 1 to 1000, got 0/],
    ['epochs', { epochs: 2.5 }, /hyperparameter epochs: .*got 2\.5/],
    ['epochs', { epochs: '20' }, /hyperparameter epochs: .*got "20"/],
    ['batchSize', { batchSize: -1 }, /hyperparameter batchSize: must be an integer from 1 to 65536/],
    ['encoderUnits', { encoderUnits: [] }, /hyperparameter encoderUnits: must be a list of 1 to 8 layer sizes, got \[\]/],
    ['encoderUnits', { encoderUnits: 32 }, /hyperparameter encoderUnits: must be a list/],
    ['encoderUnits[1]', { encoderUnits: [32, 0] }, /hyperparameter encoderUnits\[1\]: must be an integer from 1 to 1024, got 0/],
    ['learningRate', { learningRate: 0 }, /hyperparameter learningRate: must be a number greater than 0 and at most 1, got 0/],
    ['learningRate', { learningRate: Number.NaN }, /hyperparameter learningRate: .*got NaN/],
    ['testFraction', { testFraction: 1 }, /hyperparameter testFraction: must be strictly between 0 and 1, got 1/],
    ['seed', { seed: -3 }, /hyperparameter seed: must be an integer from 0 to 4294967295, got -3/],
    ['thresholdRule', { thresholdRule: 'mean+3std' }, /hyperparameter thresholdRule: must be one of mean\+1std, mean\+2std, p95, got "mean\+3std"/],
    ['epoch', { epoch: 20 }, /hyperparameter epoch: unknown field \(known: epochs, batchSize/],
  ];
  it.each(bad)('rejects a bad %s with an error naming it', (field, input, message) => {
    let caught: unknown;
    try {
      parseHyperparameters(input as Partial<AutoencoderHyperparameters>);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(HyperparameterError);
    expect((caught as HyperparameterError).field).toBe(field);
    expect((caught as Error).message).toMatch(message);
  });

  it('rejects a non-object', () => {
    expect(() => parseHyperparameters(null as never)).toThrow(/expected an object, got null/);
    expect(() => parseHyperparameters([] as never)).toThrow(/expected an object/);
  });
});

describe('threshold rules', () => {
  const losses = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

  it('uses the population standard deviation, as numpy does', () => {
    const { mean, std } = summariseLosses(losses);
    expect(mean).toBe(5.5);
    expect(std).toBeCloseTo(Math.sqrt(8.25), 12);
    expect(thresholdFromLosses(losses, 'mean+1std')).toBeCloseTo(5.5 + Math.sqrt(8.25), 12);
    expect(thresholdFromLosses(losses, 'mean+2std')).toBeCloseTo(5.5 + 2 * Math.sqrt(8.25), 12);
  });

  it('interpolates percentiles linearly, as numpy does', () => {
    // Position 0.95 × 9 = 8.55: between 9 and 10.
    expect(thresholdFromLosses(losses, 'p95')).toBeCloseTo(9.55, 12);
    expect(percentile([3, 1, 2], 0.5)).toBe(2);
    expect(percentile([7], 0.95)).toBe(7);
    expect(() => summariseLosses([])).toThrow(/empty/);
  });
});
