import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import ExcelJS from 'exceljs';
import { SAMPLES_PER_BEAT } from '../../ml/beat';

/**
 * A deterministic, beat-shaped series: a QRS-like spike on a slow wave, varied by `seed` so
 * every seed gives different content (and so a different content hash). Values have six
 * decimals, which survive text, float64 and float32 round trips identically.
 */
export function syntheticBeat(seed: number): number[] {
  const samples: number[] = [];
  const phase = (seed % 997) / 997;
  const scale = 1 + (seed % 13) / 10;
  for (let i = 0; i < SAMPLES_PER_BEAT; i++) {
    const t = i / SAMPLES_PER_BEAT;
    const wave = Math.sin(2 * Math.PI * (t + phase)) * 0.5;
    const spike = Math.exp(-(((t - 0.3) * 40) ** 2)) * scale * 3;
    samples.push(Math.round((wave + spike + seed * 1e-6) * 1e6) / 1e6);
  }
  return samples;
}

/** TensorFlow tutorial layout: samples, then 1.0 for a normal beat or 0.0 for an abnormal one. */
export function tutorialLine(samples: readonly number[], normal: boolean): string {
  return [...samples, normal ? '1.0' : '0.0'].join(',');
}

/** UCR layout: class 1..5 first, then the samples. */
export function ucrLine(ucrClass: number, samples: readonly number[], separator = '\t'): string {
  return [ucrClass, ...samples].join(separator);
}

export function unlabelledLine(samples: readonly number[]): string {
  return samples.join(',');
}

/** UCR class of synthetic beat `seed`: mostly normal, every kind of abnormal beat present. */
export function syntheticUcrClass(seed: number): number {
  return seed % 3 === 0 ? 2 + (seed % 4) : 1;
}

export interface TempDir {
  dir: string;
  file(name: string): string;
  remove(): Promise<void>;
}

export async function makeTempDir(label: string): Promise<TempDir> {
  const dir = await mkdtemp(path.join(tmpdir(), `ecgflow-${label}-`));
  return {
    dir,
    file: (name) => path.join(dir, name),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

export async function writeLines(filePath: string, lines: readonly string[], lineEnd = '\n'): Promise<string> {
  await writeFile(filePath, lines.map((line) => line + lineEnd).join(''));
  return filePath;
}

/** Synthetic beats `first..first+count-1` in the tutorial layout; every third one abnormal. */
export function tutorialLines(count: number, first = 1): string[] {
  return Array.from({ length: count }, (_, i) => tutorialLine(syntheticBeat(first + i), (first + i) % 3 !== 0));
}

export function ucrLines(count: number, first = 1, separator = '\t'): string[] {
  return Array.from({ length: count }, (_, i) => ucrLine(syntheticUcrClass(first + i), syntheticBeat(first + i), separator));
}

export function unlabelledLines(count: number, first = 1): string[] {
  return Array.from({ length: count }, (_, i) => unlabelledLine(syntheticBeat(first + i)));
}

/**
 * Writes a large tutorial-layout file a line at a time, honouring back-pressure, so generating
 * it needs no more memory than the file reader under test.
 */
export async function writeLargeTutorialCsv(filePath: string, rows: number): Promise<string> {
  const out = createWriteStream(filePath);
  for (let seed = 1; seed <= rows; seed++) {
    if (!out.write(`${tutorialLine(syntheticBeat(seed), seed % 3 !== 0)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return filePath;
}

/** One beat a row in the first worksheet, with the cells exactly as given (numbers or text). */
export async function writeWorkbook(filePath: string, rows: readonly (readonly (number | string | null)[])[]): Promise<string> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('beats');
  for (const row of rows) sheet.addRow([...row]);
  // A second sheet that must be ignored: only the first worksheet holds beats.
  workbook.addWorksheet('notes').addRow(['not a beat']);
  await workbook.xlsx.writeFile(filePath);
  return filePath;
}

export function tutorialCells(count: number, first = 1): (number | string)[][] {
  return Array.from({ length: count }, (_, i) => [...syntheticBeat(first + i), (first + i) % 3 !== 0 ? 1 : 0]);
}

export function ucrCells(count: number, first = 1): number[][] {
  return Array.from({ length: count }, (_, i) => [syntheticUcrClass(first + i), ...syntheticBeat(first + i)]);
}
