"""Embedding variants side by side: speed, agreement with the default, and event quality.

    python benchmarks/embedding_variants.py [--eval_dir ../shared/eval] [--out out/embedding_variants]

For each variant (backend × token budget) it embeds the three labelled event sets (ECB+ topics 1-35, UCI
headlines, GVA shootings dev) as the pipeline does (``embedding_input``: title + the start of the text),
and prints, per set:
  * the rate in texts per CPU-second of this process (all threads counted; the machine is shared, so
    CPU time is steadier than wall time) and per wall-second;
  * the cosine of each text's vector to the reference's (torch, fp32, 256 tokens: sentence-transformers'
    own setting and storybeam's earlier default; the default is now onnx-int8 at 128): mean, 5 % quantile, min;
  * B³ F1 of the CURRENT event clusterer (``evaluation.events_eval.score_storybeam``) on those vectors,
    and its difference to the reference's.
Vectors are cached as .npy under --out (delete them to re-measure speed). Nothing is asserted.

``--without_embedding 0.52,0.58,0.64`` also asks whether the embedding is worth its cost: it scores each
set with the embedding's weight set to 0 (names and words only) at each threshold, picks the threshold
with the best mean B³ F1 over the sets' **tuning** parts, and prints tuning / held-out B³ F1 beside the
engine with the embedding (the first variant's vectors).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SETS = {
    "ecb+": "events/ecbplus_topics_1-35.jsonl",
    "uci": "events/uci_headlines.jsonl",
    "gva_dev": "events/gva_shootings_dev.jsonl",
}
VARIANTS = [  # (backend, max_seq_length); the first is the reference
    ("torch", 256),
    ("torch", 128),
    ("onnx-int8", 256),
    ("onnx-int8", 128),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval_dir", type=Path, default=REPO.parent / "shared" / "eval")
    parser.add_argument("--out", type=Path, default=REPO / "out" / "embedding_variants")
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--without_embedding", default="",
                        help="comma-separated thresholds for the engine without the embedding ('' skips)")
    parser.add_argument("--variants", default=",".join(f"{b}-{t}" for b, t in VARIANTS),
                        help="comma-separated backend-tokens, the first is the reference (default: %(default)s)")
    args = parser.parse_args(argv)

    import dataclasses

    import numpy as np

    from evaluation.events_eval import score_storybeam
    from evaluation.labelled_data import read_jsonl
    from transforms.embedding_model import EmbeddingConfig, load_encoder
    from transforms.event_clustering import embedding_input
    from transforms.event_config import EventClusteringConfig

    variants = [(v.rsplit("-", 1)[0], int(v.rsplit("-", 1)[1])) for v in args.variants.split(",")]
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    thresholds = [float(t) for t in args.without_embedding.split(",") if t]
    without: dict[str, dict] = {}  # set -> {"with": score, threshold: score}
    for set_name in args.sets.split(","):
        records = read_jsonl(args.eval_dir / SETS[set_name])
        inputs = [embedding_input(r.get("title"), r["text"]) for r in records]
        reference = None
        reference_f1 = None
        for backend, tokens in variants:
            name = f"{backend}-{tokens}"
            cache = args.out / f"{set_name}-{name}.npy"
            timing = args.out / f"{set_name}-{name}.json"
            if cache.exists() and timing.exists():
                vectors = np.load(cache)
                cpu, wall = json.loads(timing.read_text())["cpu_s"], json.loads(timing.read_text())["wall_s"]
            else:
                encoder = load_encoder(EmbeddingConfig(backend=backend, max_seq_length=tokens))
                encoder.encode(inputs[:8], batch_size=8)  # warm up (first call allocates)
                cpu0, wall0 = time.process_time(), time.perf_counter()
                vectors = np.asarray(encoder.encode(inputs, batch_size=32, normalize_embeddings=True,
                                                    convert_to_numpy=True, show_progress_bar=False), dtype=np.float32)
                cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
                np.save(cache, vectors)
                timing.write_text(json.dumps({"cpu_s": cpu, "wall_s": wall}))
                del encoder
            if reference is None:
                reference = vectors
            cosines = np.sum(vectors * reference, axis=1)
            score = score_storybeam(records, vectors)
            f1 = score["b3_f1"]
            reference_f1 = f1 if reference_f1 is None else reference_f1
            row = {"set": set_name, "variant": name, "texts": len(records), "cpu_s": round(cpu, 1),
                   "texts_per_cpu_s": round(len(records) / cpu, 1), "texts_per_wall_s": round(len(records) / wall, 1),
                   "cos_mean": round(float(cosines.mean()), 4), "cos_p5": round(float(np.quantile(cosines, 0.05)), 4),
                   "cos_min": round(float(cosines.min()), 4), "b3_f1": round(f1, 4),
                   "b3_f1_delta": round(f1 - reference_f1, 4)}
            results.append(row)
            print(json.dumps(row), flush=True)
            if thresholds and (backend, tokens) == variants[0]:
                without[set_name] = {"with": score}
                for t in thresholds:
                    config = dataclasses.replace(EventClusteringConfig(), embedding_weight=0.0, threshold=t)
                    without[set_name][t] = score_storybeam(records, vectors, config)
    print(f"\n{'set':<8} {'variant':<15} {'texts/cpu-s':>11} {'texts/wall-s':>12} {'cos mean':>8} {'cos p5':>7} "
          f"{'cos min':>7} {'B3 F1':>6} {'dF1':>7}")
    for r in results:
        print(f"{r['set']:<8} {r['variant']:<15} {r['texts_per_cpu_s']:>11} {r['texts_per_wall_s']:>12} "
              f"{r['cos_mean']:>8} {r['cos_p5']:>7} {r['cos_min']:>7} {r['b3_f1']:>6} {r['b3_f1_delta']:>+7.4f}")
    if without:
        best = max(thresholds, key=lambda t: sum(w[t]["tuning_b3_f1"] for w in without.values()))
        print(f"\nwithout the embedding (names and words only; threshold {best} chosen on the tuning parts, "
              f"from {thresholds}); B3 F1 tuning / held out, with the embedding ({args.variants.split(',')[0]}) "
              f"at the defaults -> without")
        for set_name, w in without.items():
            a, b = w["with"], w[best]
            print(f"{set_name:<8} tuning {a['tuning_b3_f1']:.4f} -> {b['tuning_b3_f1']:.4f}   "
                  f"held out {a['held_out_b3_f1']:.4f} -> {b['held_out_b3_f1']:.4f}   "
                  f"all {a['b3_f1']:.4f} -> {b['b3_f1']:.4f}")
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
