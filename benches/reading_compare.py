#!/usr/bin/env python3
"""The reading's model in Python, for the speed comparison the reading bench prints.

Same corpus, same kind of features and model as `src/reading/`: the example lines
(`rubrics/examples/*.tsv`), characters folded to ASCII punctuation, character 1-3-grams
present or absent, one logistic regression per act (scikit-learn, one process). Fits
once, then times reading every line (vectorise + score + threshold), as peilian does.

    python3 benches/reading_compare.py rubrics/examples [--repeat 3]

Prints `lines_per_second=N` last.
"""
import argparse
import pathlib
import time
import unicodedata


def load(d):
    texts, labels = [], []
    for f in sorted(pathlib.Path(d).glob("*.tsv")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#") or "\t" not in line:
                continue
            acts, text = line.split("\t", 1)
            texts.append(text.strip())
            labels.append([] if acts.strip() == "-" else [a.strip() for a in acts.split(",")])
    return texts, labels


def fold(t):
    return unicodedata.normalize("NFKC", t).lower()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("examples")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import MultiLabelBinarizer

    texts, labels = load(a.examples)
    vec = CountVectorizer(analyzer="char", ngram_range=(1, 3), binary=True, preprocessor=fold)
    x = vec.fit_transform(texts)
    mlb = MultiLabelBinarizer()
    y = mlb.fit_transform(labels)
    clf = OneVsRestClassifier(LogisticRegression(max_iter=200, solver="liblinear")).fit(x, y)
    # Batched: every line vectorised and scored in one call (scikit-learn's best case).
    batch = 0.0
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        clf.decision_function(vec.transform(texts)) > 0
        batch = max(batch, len(texts) / (time.perf_counter() - t0))
    # One line at a time, as a practice turn comes.
    single = 0.0
    t0 = time.perf_counter()
    for t in texts[:2000]:
        clf.decision_function(vec.transform([t])) > 0
    single = min(len(texts), 2000) / (time.perf_counter() - t0)
    print(f"lines={len(texts)} outputs={len(mlb.classes_)}")
    print(f"one_at_a_time_lines_per_second={single:.0f}")
    print(f"lines_per_second={batch:.0f}")


if __name__ == "__main__":
    main()
