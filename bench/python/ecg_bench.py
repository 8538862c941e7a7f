"""The seed autoencoder in Python TensorFlow (Keras), timed on matrices written by bench/python-compare.ts.

Usage: ecg_bench.py DATA_DIR   (DATA_DIR holds meta.json and the .f32 matrices; see python-compare.ts)
Prints one JSON object on stdout. TensorFlow's own logging goes to stderr.

The recipe mirrors ml/autoencoder.ts: dense 140 -> encoder units -> mirrored decoder -> 140, relu
inside and sigmoid out, glorot-uniform kernels and zero biases, Adam at the same learning rate, mean
absolute error, the same epochs and batch size, rows reshuffled every epoch, trained on the same
normal beats min-max normalised with the same min and max; the threshold is mean + 1 std of the
training beats' reconstruction MAE. Scoring = normalise raw beats, forward pass, per-beat MAE, as
ml/scorer does, timed best of 3 like the project.
"""

import json
import os
import sys
import time

STARTED = time.perf_counter()
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

IMPORT_SECONDS = time.perf_counter() - STARTED
SAMPLES_PER_BEAT = 140
SCORING_ROUNDS = 3
ROWS_PER_PASS = 8192  # the project's scorer feeds the same number of rows per forward pass


def read_matrix(data_dir, name, rows):
    values = np.fromfile(os.path.join(data_dir, name), dtype="<f4")
    if values.size != rows * SAMPLES_PER_BEAT:
        raise SystemExit(f"{name}: expected {rows} x {SAMPLES_PER_BEAT} float32 values, got {values.size}")
    return values.reshape(rows, SAMPLES_PER_BEAT)


def normalise(raw, low, high):
    # Same arithmetic as ml/normalise.ts: (v - min) * (1 / (max - min)).
    return ((raw - np.float32(low)) * np.float32(1.0 / (high - low))).astype(np.float32)


def build_autoencoder(encoder_units, seed):
    decoder_units = list(reversed(encoder_units[:-1]))
    layers = [tf.keras.Input(shape=(SAMPLES_PER_BEAT,))]
    for index, units in enumerate(encoder_units + decoder_units):
        layers.append(dense(units, "relu", seed + index))
    layers.append(dense(SAMPLES_PER_BEAT, "sigmoid", seed + len(encoder_units) + len(decoder_units)))
    return tf.keras.Sequential(layers, name="dense_autoencoder")


def dense(units, activation, seed):
    return tf.keras.layers.Dense(
        units,
        activation=activation,
        kernel_initializer=tf.keras.initializers.GlorotUniform(seed=seed),
        bias_initializer="zeros",
    )


def make_scorers(model, low, high):
    """The ways TensorFlow offers to score a batch; the benchmark keeps the fastest."""
    scale = np.float32(1.0 / (high - low))
    low32 = np.float32(low)

    @tf.function(input_signature=[tf.TensorSpec([None, SAMPLES_PER_BEAT], tf.float32)], jit_compile=False)
    def graph(raw):
        x = (raw - low32) * scale
        return tf.reduce_mean(tf.abs(model(x, training=False) - x), axis=1)

    @tf.function(input_signature=[tf.TensorSpec([None, SAMPLES_PER_BEAT], tf.float32)], jit_compile=True)
    def xla(raw):
        x = (raw - low32) * scale
        return tf.reduce_mean(tf.abs(model(x, training=False) - x), axis=1)

    def predict(raw):
        x = normalise(raw, low, high)
        reconstruction = model.predict(x, batch_size=ROWS_PER_PASS, verbose=0)
        return np.mean(np.abs(reconstruction - x), axis=1)

    def in_passes(function):
        def score(raw):
            parts = [function(tf.constant(raw[i : i + ROWS_PER_PASS])).numpy() for i in range(0, len(raw), ROWS_PER_PASS)]
            return np.concatenate(parts)

        return score

    return {"tf.function": in_passes(graph), "tf.function+XLA": in_passes(xla), "model.predict": predict}


def best_seconds(function, rounds):
    best = float("inf")
    result = None
    for _ in range(rounds):
        started = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - started)
    return best, result


def roc_auc(scores, labels):
    """Probability that an anomalous beat outscores a normal one (ties count half), by ranks."""
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), dtype=np.float64)
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    positives = labels == 1
    n_pos, n_neg = int(positives.sum()), int((~positives).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


class EpochTimer(tf.keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.started)


def train_once(meta, train_raw, low, high):
    """One timed training from scratch: normalise, build, compile, fit, threshold (as trainAutoencoder)."""
    tf.keras.utils.set_random_seed(meta["seed"])
    started = time.perf_counter()
    train = normalise(train_raw, low, high)
    model = build_autoencoder(list(meta["encoderUnits"]), meta["seed"])
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=meta["learningRate"]), loss="mean_absolute_error")
    timer = EpochTimer()
    fit_started = time.perf_counter()
    history = model.fit(train, train, epochs=meta["epochs"], batch_size=meta["batchSize"], shuffle=True, verbose=0, callbacks=[timer])
    fit_seconds = time.perf_counter() - fit_started
    scorers = make_scorers(model, low, high)
    train_losses = scorers["tf.function"](train_raw)
    threshold = float(train_losses.mean() + train_losses.std())
    return {
        "seconds": time.perf_counter() - started,
        "fitSeconds": fit_seconds,
        "epochSeconds": timer.seconds,
        "threshold": threshold,
        "history": history,
        "scorers": scorers,
    }


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: ecg_bench.py DATA_DIR")
    data_dir = sys.argv[1]
    with open(os.path.join(data_dir, "meta.json")) as f:
        meta = json.load(f)
    low, high = meta["min"], meta["max"]
    train_raw = read_matrix(data_dir, "train-normal.f32", meta["trainRows"])
    test_raw = read_matrix(data_dir, "test.f32", meta["testRows"])
    test_labels = np.fromfile(os.path.join(data_dir, "test-labels.u8"), dtype=np.uint8)
    score_raw = read_matrix(data_dir, "score.f32", meta["scoreRows"])

    rounds = [train_once(meta, train_raw, low, high) for _ in range(meta["trainingRounds"])]
    best = min(rounds, key=lambda r: r["seconds"])
    history, scorers = rounds[-1]["history"], rounds[-1]["scorers"]

    timings = {}
    checks = {}
    for name, scorer in scorers.items():
        scorer(score_raw[:ROWS_PER_PASS])  # trace and warm up outside the timed rounds
        seconds, scores = best_seconds(lambda: scorer(score_raw), SCORING_ROUNDS)
        timings[name] = seconds
        checks[name] = float(np.mean(scores))
    fastest = min(timings, key=timings.get)

    test_scores = scorers["tf.function"](test_raw)
    print(json.dumps({
        "python": sys.version.split()[0],
        "tensorflow": tf.__version__,
        "keras": tf.keras.__version__ if hasattr(tf.keras, "__version__") else "",
        "intraOpThreads": tf.config.threading.get_intra_op_parallelism_threads(),
        "importMs": round(IMPORT_SECONDS * 1000),
        "trainingMs": round(best["seconds"] * 1000),
        "trainingMsByRound": [round(r["seconds"] * 1000) for r in rounds],
        "fitMs": round(best["fitSeconds"] * 1000),
        "firstEpochMs": round(best["epochSeconds"][0] * 1000),
        "laterEpochMeanMs": round(1000 * sum(best["epochSeconds"][1:]) / max(1, len(best["epochSeconds"]) - 1)),
        "epochs": meta["epochs"],
        "batchSize": meta["batchSize"],
        "trainRows": meta["trainRows"],
        "finalLoss": float(history.history["loss"][-1]),
        "threshold": best["threshold"],
        "heldOutRocAuc": roc_auc(test_scores.astype(np.float64), test_labels),
        "scoreRows": meta["scoreRows"],
        "scoringBeatsPerSecond": round(meta["scoreRows"] / timings[fastest]),
        "scoringPath": fastest,
        "scoringBeatsPerSecondByPath": {name: round(meta["scoreRows"] / s) for name, s in timings.items()},
        "meanScoreByPath": checks,
        "processMs": round((time.perf_counter() - STARTED) * 1000),
    }))


if __name__ == "__main__":
    main()
