"""`storybeam evaluate` on the user's own labelled JSONL (built here from the bundled sample's labels)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines import evaluate

pytestmark = pytest.mark.golden
SAMPLE = Path(__file__).resolve().parents[2] / "sample"


def _labelled(tmp_path: Path) -> tuple[Path, Path]:
    articles = {r["id"]: r for r in map(json.loads, (SAMPLE / "articles.jsonl").open(encoding="utf-8"))}
    labels = [json.loads(line) for line in (SAMPLE / "labels.jsonl").open(encoding="utf-8")]
    events, copies = tmp_path / "events.jsonl", tmp_path / "copies.jsonl"
    with events.open("w") as e, copies.open("w") as c:
        for label in labels:
            a = articles[label["id"]]
            e.write(json.dumps({"id": a["id"], "text": a["text"], "title": a["title"],
                                "published_at": a["published_at"], "label": label["event"]}) + "\n")
            c.write(json.dumps({"id": a["id"], "text": a["text"], "label": label["wire_of"] or a["id"]}) + "\n")
    return events, copies


def test_evaluate_scores_own_jsonl_and_writes_json_and_markdown(tmp_path):
    events_file, copies_file = _labelled(tmp_path)
    out = tmp_path / "report"
    assert evaluate.main(["--tasks", "events,neardup", "--eval_dir", str(tmp_path / "none"),
                          "--events_jsonl", str(events_file), "--neardup_jsonl", str(copies_file),
                          "--out", str(out)]) == 0
    report = json.loads((out / "evaluation.json").read_text())
    ours = report["events"]["events.jsonl"]["storybeam (whole job, defaults)"]
    assert (ours["b3_f1"], ours["ari"], ours["n_clusters"], ours["n_gold_clusters"]) == (1.0, 1.0, 7, 7)
    assert {"tfidf_average_link (oracle threshold)", "minilm_average_link (oracle threshold)"} <= set(
        report["events"]["events.jsonl"])
    copies = report["neardup"]["copies.jsonl"]["storybeam"]
    assert (copies["pair_f1"], copies["false_merges"]) == (1.0, 0)
    assert "### events: events.jsonl" in (out / "evaluation.md").read_text()


def test_evaluate_without_labelled_data_is_a_clear_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        evaluate.main(["--eval_dir", str(tmp_path / "none"), "--out", str(tmp_path / "o")])
    assert e.value.code == 2
    assert "labelled data not found" in capsys.readouterr().err
