"""EmbedArticles: one representative per near-duplicate group → its sentence embedding."""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Iterable, Sequence

import apache_beam as beam
import numpy as np
from apache_beam.metrics import Metrics
from apache_beam.utils.shared import Shared

from transforms.embedding_model import EmbeddingConfig, EmbeddingHandler, SentenceTransformerHandler
from transforms.event_clustering import embedding_input


STAGE = "embed_articles"


class _Embed(beam.DoFn):
    """A batch of (article_id, model input) → (article_id, vector) each. The model is loaded in ``setup``
    through ``Shared``: once per worker process, whatever the number of threads, bundles and DoFn copies."""

    def __init__(self, handler: EmbeddingHandler, shared: Shared) -> None:
        self._handler = handler
        self._shared = shared
        self._model: Any = None
        self._embedded = Metrics.counter(STAGE, "embedded")
        self._batches = Metrics.counter(STAGE, "model_calls")

    def setup(self) -> None:
        self._model = self._shared.acquire(self._handler.load_model)

    def process(self, batch: Sequence[tuple[str, str]]) -> Iterable[tuple[str, np.ndarray]]:
        vectors = self._handler.embed([text for _, text in batch], self._model)
        if len(vectors) != len(batch):
            raise RuntimeError(f"the model returned {len(vectors)} vectors for {len(batch)} texts")
        self._batches.inc()
        self._embedded.inc(len(batch))
        for (article_id, _), vector in zip(batch, vectors):
            yield article_id, np.asarray(vector, dtype=np.float32)


class EmbedArticles(beam.PTransform):
    """Article (a near-duplicate group's anchor) → (article_id, float32 L2-normalised embedding).

    Texts are batched (``BatchElements``: at least the handler's ``batch_size``, up to
    ``max_batch_factor`` times that) and the model is loaded once per worker process. ``model_handler``
    replaces the configured model (an ``EmbeddingHandler``; tests use a small fake one). ``accelerator`` is
    a Beam resource hint for the model step only, e.g. ``type:nvidia-tesla-t4;count:1;install-nvidia-driver``
    on Dataflow. No dead letters: a model failure fails the bundle (and the runner retries it), it does not
    drop articles. Metrics: ``embed_articles/embedded`` (texts embedded), ``embed_articles/model_calls``.
    """

    def __init__(self, config: EmbeddingConfig, model_handler: EmbeddingHandler | None = None,
                 accelerator: str | None = None) -> None:
        super().__init__()
        self._config = config
        self._handler = model_handler or SentenceTransformerHandler(config)
        self._accelerator = accelerator
        self._shared = Shared()

    def load_in_background(self) -> Future:
        """Start loading the model now, on a thread of this process, for a run whose workers are this
        process (the in-process runner): the model step then finds it loaded instead of loading it while
        the run waits (about 0.4 s of the int8 model; the earlier stages keep one core busy, this uses the
        other). The future holds the model: keep it until the run ends (``Shared`` keeps only weak
        references). A load that fails here is retried, and fails, in the model step."""
        loader = ThreadPoolExecutor(1, thread_name_prefix="model-load")
        try:
            return loader.submit(self._shared.acquire, self._handler.load_model)
        finally:
            loader.shutdown(wait=False)

    def expand(self, anchors: beam.PCollection) -> beam.PCollection:
        max_chars = self._config.max_input_chars
        size = self._handler.batch_size
        embed = beam.ParDo(_Embed(self._handler, self._shared))
        if self._accelerator:
            embed = embed.with_resource_hints(accelerator=self._accelerator)
        return (
            anchors
            | "ModelInput" >> beam.Map(
                lambda a: (a.article_id, embedding_input(a.title, a.clean_text or "", max_chars)))
            | "Batch" >> beam.BatchElements(min_batch_size=size,
                                            max_batch_size=size * self._handler.max_batch_factor)
            | "Embed" >> embed
        )
