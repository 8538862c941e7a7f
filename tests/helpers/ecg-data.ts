import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../config/env';

/** The shared ECG5000 files, read through the configurable path; tests stop with a clear message without them. */
export function ecg5000Paths(): { csv: string; tsv: string } {
  const csv = loadConfig().ECG5000_CSV;
  if (!existsSync(csv)) throw new Error(`ECG5000 not found at ${csv}; set ECG5000_CSV to the tutorial-layout ecg.csv`);
  return { csv, tsv: path.join(path.dirname(csv), 'ECG5000_TRAIN.tsv') };
}
