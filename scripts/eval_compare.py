#!/usr/bin/python3
"""eval_compare.py: scikit-learn beside leadscore on exactly the rows leadscore trained and judged.

usage: eval_compare.py leads WORKDIR
       eval_compare.py sim WORKDIR TRUTH.csv

WORKDIR holds, per kind, leadscore's report (KIND.json) and the rows it used
(rows-KIND.csv, from `leadscore train --dataset`: the split, the columns and the
values after missing-value handling). scikit-learn gets those same rows.
"""
import csv
import json
import math
import sys
import time

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.metrics import average_precision_score, log_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC

KINDS = ["logistic", "svm-linear", "svm-rbf"]
MIN_LEVEL_COUNT = 10  # leadscore's default: rarer levels pool into one


def read_rows(path, first_field):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    head, body = rows[0], rows[1:]
    fields = head[first_field:]
    return head, fields, body


def is_number(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def matrices(head, fields, body, first_field):
    """Numeric columns stay numbers (missing: NaN); the others are strings (missing: None)."""
    kinds = []
    for j in range(len(fields)):
        cells = [r[first_field + j] for r in body if r[first_field + j] != ""]
        kinds.append("num" if cells and all(is_number(c) for c in cells) else "cat")
    num = [j for j, k in enumerate(kinds) if k == "num"]
    cat = [j for j, k in enumerate(kinds) if k == "cat"]
    X = np.empty((len(body), len(fields)), dtype=object)
    for i, r in enumerate(body):
        for j in range(len(fields)):
            v = r[first_field + j]
            if kinds[j] == "num":
                X[i, j] = float(v) if v != "" else np.nan
            else:
                X[i, j] = v if v != "" else "__missing__"
    y = np.array([int(r[head.index("label")]) for r in body])
    part = np.array([r[head.index("set")] for r in body])
    return X, y, part, num, cat


def preprocessor(num, cat):
    """The same recipe as leadscore's encoder: median impute and standardise numerics,
    one-hot categoricals with missing as a level and rare levels pooled."""
    return ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), num),
        ("cat", OneHotEncoder(handle_unknown="infrequent_if_exist",
                              min_frequency=MIN_LEVEL_COUNT), cat),
    ])


def sklearn_models():
    cs = [2.0 ** k for k in range(-8, 5)]
    return [
        ("scikit-learn LogisticRegression (C=1)",
         LogisticRegression(C=1.0, max_iter=5000)),
        ("scikit-learn LogisticRegressionCV (C by 5-fold CV, AUC)",
         LogisticRegressionCV(Cs=cs, cv=5, scoring="roc_auc", max_iter=5000)),
        ("scikit-learn SVC linear (C=1, Platt)",
         SVC(kernel="linear", C=1.0, probability=True, random_state=1)),
        ("scikit-learn SVC rbf (C=1, gamma=scale, Platt)",
         SVC(kernel="rbf", C=1.0, gamma="scale", probability=True, random_state=1)),
    ]


def ours(work, kind):
    with open(f"{work}/{kind}.json") as f:
        r = json.load(f)
    p = r["params"]
    what = f"C={p['C']:g}"
    if "gamma" in p:
        what += f", gamma={p['gamma']:.3g}"
    if "sample_size" in r:
        what += f", {r['sample_size']['fit']:,}-row sample"
    return f"leadscore {kind} ({what})", r


def line(name, auc, pr, ll, secs):
    return f"{name:<58} {auc:6.4f} {pr:7.4f} {ll:8.4f} {secs:8.2f}"


def header():
    return f"{'model':<58} {'AUC':>6} {'PR AUC':>7} {'log loss':>8} {'train s':>8}"


def leads(work):
    head, fields, body = read_rows(f"{work}/rows-logistic.csv", 3)
    X, y, part, num, cat = matrices(head, fields, body, 3)
    tr, te = part == "train", part == "test"
    print(f"Leads X Education (leads.csv): {len(body):,} rows, {len(fields)} columns "
          f"(ids and leaky columns excluded), random 80/20 split, seed 1: "
          f"{tr.sum():,} training rows ({y[tr].sum():,} converted), "
          f"{te.sum():,} holdout rows ({y[te].sum():,} converted)")
    print(header())
    for kind in KINDS:
        name, r = ours(work, kind)
        if (r["rows_train"], r["rows_test"]) != (int(tr.sum()), int(te.sum())):
            sys.exit(f"eval: {kind} used another split than the rows file")
        print(line(name, r["auc"], r["pr_auc"], r["log_loss"], r["seconds"]))
    for name, model in sklearn_models():
        t0 = time.perf_counter()
        pipe = make_pipeline(preprocessor(num, cat), model).fit(X[tr], y[tr])
        secs = time.perf_counter() - t0
        p = np.clip(pipe.predict_proba(X[te])[:, 1], 1e-15, 1 - 1e-15)
        print(line(name, roc_auc_score(y[te], p), average_precision_score(y[te], p),
                   log_loss(y[te], p), secs))


def sim(work, truth_path):
    with open(truth_path, newline="") as f:
        truth = {r["contact_id"]: float(r["p_true"]) for r in csv.DictReader(f)}
    head, fields, body = read_rows(f"{work}/rows-logistic.csv", 4)
    test = [r for r in body if r[3] == "test"]
    y = np.array([int(r[2]) for r in test])
    p = np.array([truth[r[0]] for r in test])
    truth_auc = roc_auc_score(y, p)
    print(f"Simulated funnel (leadscore simulate): {len(body):,} labelled snapshots, holdout "
          f"{len(test):,} ({y.sum():,} converting within the horizon)")
    print(f"{'model':<58} {'AUC':>6} {'truth AUC':>9} {'of truth':>8} {'PR AUC':>7} {'train s':>8}")
    for kind in KINDS:
        name, r = ours(work, kind)
        # The model's lift over a coin as a share of the hidden truth's, on the same rows.
        share = (r["auc"] - 0.5) / (truth_auc - 0.5)
        print(f"{name:<58} {r['auc']:6.4f} {truth_auc:9.4f} {share:8.1%} "
              f"{r['pr_auc']:7.4f} {r['seconds']:8.2f}")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "leads":
        leads(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "sim":
        sim(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
