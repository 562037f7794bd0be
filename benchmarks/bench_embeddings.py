"""Benchmark the local USE-m-v3 ONNX embeddings: sentences per second by batch size.

Usage::

    .venv/bin/python benchmarks/bench_embeddings.py [--sentences 2000] [--batch 32 64 128]

Sentences are short German and English CRM-note-like texts built from
templates (typical note length: 8-20 words). Also prints a cross-lingual
check: for each German sentence of a small paired set, whether its English
translation is the nearest neighbour among all English sentences.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.embeddings import LocalUSEEmbedder  # noqa: E402
from agent.model_store import cpu_threads, ensure_model  # noqa: E402
from agent.settings import configure  # noqa: E402

PAIRS = [
    ("Die Lieferung kam zwei Wochen zu spät.", "The delivery arrived two weeks late."),
    ("Der Preis ist uns zu hoch geworden.", "The price has become too high for us."),
    ("Wir haben einen neuen Einkäufer.", "We have a new buyer."),
    ("Die Qualität der letzten Charge war schlecht.", "The quality of the last batch was poor."),
    ("Niemand hat sich bei uns gemeldet.", "Nobody got in touch with us."),
    ("Die Firma ist insolvent.", "The company is insolvent."),
    ("Ein Wettbewerber bietet mehr für weniger Geld.", "A competitor offers more for less money."),
    ("Wir brauchen das Produkt nicht mehr.", "We no longer need the product."),
    ("Bitte schicken Sie uns ein Angebot.", "Please send us an offer."),
    ("Rufen Sie mich nächste Woche wieder an.", "Call me again next week."),
    ("Die Reklamation wurde unfreundlich behandelt.", "The complaint was handled rudely."),
]


def corpus(n: int) -> list[str]:
    subjects = ["Der Kunde", "Die Einkäuferin", "The customer", "Our contact", "Herr Maier"]
    verbs = ["beschwert sich über", "lobt", "complains about", "asks about", "fragt nach"]
    objects = [
        "die Lieferzeit der letzten Bestellung",
        "the new price list for next year",
        "die Qualität der Gussteile aus Charge 12",
        "a sample of the low-emission binder",
        "den Rabatt für Rückkehrer",
        "the missing follow-up after the trade fair",
    ]
    sentences = [f"{s} {v} {o}." for s, v, o in itertools.product(subjects, verbs, objects)]
    return [f"{sentences[i % len(sentences)]} ({i})" for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=2000)
    parser.add_argument("--batch", type=int, nargs="*", default=[32, 64, 128])
    args = parser.parse_args()
    cache = os.environ.get("WINBACK_MODEL_CACHE_DIR") or str(
        Path(__file__).resolve().parent.parent / ".pytest_cache/d/winback-models"
    )
    settings = configure(model_cache_dir=cache)
    path = str(ensure_model("use-m-v3", settings))
    threads = cpu_threads(settings)
    texts = corpus(args.sentences)
    print(f"load average at start {os.getloadavg()[0]:.1f}; threads {threads}")
    for batch in args.batch:
        emb = LocalUSEEmbedder(path, threads=threads, batch_size=batch)
        emb.embed(texts[:batch])  # warm-up
        start, cpu0 = time.perf_counter(), time.process_time()
        vecs = emb.embed(texts)
        secs, cpu = time.perf_counter() - start, time.process_time() - cpu0
        norms = np.linalg.norm(vecs, axis=1)
        print(
            f"batch {batch:4}: {len(texts) / secs:7.0f} sentences/s wall ({secs:.2f}s), "
            f"{len(texts) * threads / cpu:7.0f} per {threads} idle cores (CPU time), "
            f"norms {norms.min():.4f}..{norms.max():.4f}"
        )
    emb = LocalUSEEmbedder(path, threads=threads)
    de = emb.embed([p[0] for p in PAIRS])
    en = emb.embed([p[1] for p in PAIRS])
    hits = int(np.sum(np.argmax(de @ en.T, axis=1) == np.arange(len(PAIRS))))
    print(f"cross-lingual DE->EN nearest neighbour: {hits}/{len(PAIRS)}")
    print(f"load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
