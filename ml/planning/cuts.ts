/** Flagging every beat that scores at or above `score`: how many of each class that flags. */
export interface Cut {
  score: number;
  truePositives: number;
  falsePositives: number;
}

export interface Cuts {
  positives: number;
  negatives: number;
  /** One per distinct score, highest first: the cuts a threshold or a curve can make. */
  cuts: Cut[];
}

/**
 * Every distinct way "anomalous iff score >= threshold" can split labelled scores, from the
 * strictest to the loosest; the threshold rules and the ROC and precision–recall curves all walk
 * them. Ties move together. Scores must not be NaN, and labels must match them in number.
 */
export function cutsOf(scores: ArrayLike<number>, isAnomalous: ArrayLike<number | boolean>): Cuts {
  const n = scores.length;
  if (isAnomalous.length !== n) throw new RangeError(`${n} scores but ${isAnomalous.length} labels`);
  let positives = 0;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(scores[i])) throw new RangeError(`score ${i} is NaN`);
    if (isAnomalous[i]) positives++;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const cuts: Cut[] = [];
  let truePositives = 0;
  let falsePositives = 0;
  for (let start = 0; start < n; ) {
    const score = scores[order[start]!]!;
    let end = start;
    for (; end < n && scores[order[end]!] === score; end++) {
      if (isAnomalous[order[end]!]) truePositives++;
      else falsePositives++;
    }
    cuts.push({ score, truePositives, falsePositives });
    start = end;
  }
  return { positives, negatives: n - positives, cuts };
}
