import type * as tfTypes from './tfjs';

/**
 * Keeps the weights of the epoch with the lowest validation loss and says when `patience` epochs
 * in a row have not improved on it. Restoring the best epoch, rather than keeping the last one,
 * means a candidate is judged and stored as it was at its best, not after it began to overfit.
 */
export class EarlyStopping {
  private best: tfTypes.Tensor[] | null = null;
  private bestLoss = Infinity;
  private sinceBest = 0;
  bestEpoch = 0;

  constructor(
    private readonly model: tfTypes.LayersModel,
    private readonly patience: number,
  ) {
    if (!Number.isInteger(patience) || patience < 1) throw new RangeError(`patience must be a positive integer, got ${patience}`);
  }

  /** Records one epoch's validation loss; true when training should stop. */
  observe(epoch: number, validationLoss: number): boolean {
    if (!Number.isFinite(validationLoss)) throw new Error(`training diverged: validation loss is ${validationLoss}`);
    if (validationLoss < this.bestLoss) {
      this.bestLoss = validationLoss;
      this.bestEpoch = epoch;
      this.sinceBest = 0;
      this.disposeBest();
      // Clones: the optimiser updates the model's variables in place.
      this.best = this.model.getWeights().map((w) => w.clone());
      return false;
    }
    this.sinceBest++;
    return this.sinceBest >= this.patience;
  }

  get bestValidationLoss(): number {
    return this.bestLoss;
  }

  /** Puts the best epoch's weights back into the model and frees the copies. */
  restoreBest(): void {
    if (this.best) this.model.setWeights(this.best);
    this.disposeBest();
  }

  dispose(): void {
    this.disposeBest();
  }

  private disposeBest(): void {
    this.best?.forEach((t) => t.dispose());
    this.best = null;
  }
}
