"""EmbedArticles: one representative per near-duplicate group → its sentence embedding."""
from __future__ import annotations

from typing import Iterable

import apache_beam as beam
import numpy as np
from apache_beam.metrics import Metrics
from apache_beam.ml.inference.base import KeyedModelHandler, ModelHandler, PredictionResult, RunInference

from transforms.embedding_model import EmbeddingConfig, SentenceTransformerHandler
from transforms.event_clustering import embedding_input


STAGE = "embed_articles"


class _Unpack(beam.DoFn):
    def __init__(self) -> None:
        self._embedded = Metrics.counter(STAGE, "embedded")

    def process(self, element: tuple[str, PredictionResult]) -> Iterable[tuple[str, np.ndarray]]:
        article_id, result = element
        self._embedded.inc()
        yield article_id, np.asarray(result.inference, dtype=np.float32)


class EmbedArticles(beam.PTransform):
    """Article (a near-duplicate group's anchor) → (article_id, float32 L2-normalised embedding).

    The model is loaded once per worker by RunInference (``load_model``), batches are bounded by
    ``EmbeddingConfig.batch_size``. ``model_handler`` replaces the sentence-transformers handler (tests use
    a small fake one). ``accelerator`` is a Beam resource hint for the inference step only, e.g.
    ``type:nvidia-tesla-t4;count:1;install-nvidia-driver`` on Dataflow. No dead letters: a model failure
    fails the bundle (and the runner retries it), it does not drop articles.
    Metrics: ``embed_articles/embedded`` (texts embedded), plus RunInference's own.
    """

    def __init__(self, config: EmbeddingConfig, model_handler: ModelHandler | None = None,
                 accelerator: str | None = None) -> None:
        super().__init__()
        self._config = config
        self._handler = model_handler or SentenceTransformerHandler(config)
        self._accelerator = accelerator

    def expand(self, anchors: beam.PCollection) -> beam.PCollection:
        max_chars = self._config.max_input_chars
        inference = RunInference(KeyedModelHandler(self._handler))
        if self._accelerator:
            inference = inference.with_resource_hints(accelerator=self._accelerator)
        return (
            anchors
            | "ModelInput" >> beam.Map(
                lambda a: (a.article_id, embedding_input(a.title, a.clean_text or "", max_chars)))
            | "Embed" >> inference
            | "Unpack" >> beam.ParDo(_Unpack())
        )
