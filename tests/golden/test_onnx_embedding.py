"""The ONNX backends against the torch model they are exported from (real weights, offline)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from transforms.embedding_model import EmbeddingConfig, load_encoder, packaged_model_path
from transforms.onnx_embedding import check_exportable, exported_model

pytestmark = pytest.mark.golden

TEXTS = [
    "Overnight fire guts historic Dunmore mill in Tarrow Heath",
    "The harbour authority in Kestrel Bay said on Monday that the northern pier will close for repairs "
    "after inspectors found cracks in three of its concrete supports during a routine survey last week. " * 6,
    "Bank of Veltria cuts its main rate by a quarter point",
    "x",
]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("onnx-cache"))


@pytest.fixture(scope="module")
def torch_vectors():
    torch = EmbeddingConfig(backend="torch", max_seq_length=128)
    return load_encoder(torch).encode(TEXTS, batch_size=2, normalize_embeddings=True)


def test_onnx_fp32_gives_the_torch_vectors(cache_dir, torch_vectors):
    encoder = load_encoder(EmbeddingConfig(backend="onnx", max_seq_length=128, cache_dir=cache_dir))
    vectors = encoder.encode(TEXTS, batch_size=2)
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(vectors * torch_vectors, axis=1)) > 0.99999
    # Exported once into the cache folder, never into the model's folder.
    assert str(encoder.path).startswith(cache_dir) and encoder.path.name == "model.onnx"


def test_onnx_int8_per_channel_stays_close_to_torch(cache_dir, torch_vectors):
    encoder = load_encoder(EmbeddingConfig(backend="onnx-int8", max_seq_length=128, cache_dir=cache_dir))
    cosines = np.sum(encoder.encode(TEXTS, batch_size=3) * torch_vectors, axis=1)
    assert np.min(cosines) > 0.95, cosines
    assert encoder.path.name == "model-int8-per-channel-7bit.onnx"
    assert exported_model(packaged_model_path(), True, cache_dir) == encoder.path  # reused, not re-exported


def test_int8_weights_fit_in_7_bits_so_no_cpu_saturates_their_sums(cache_dir):
    # AVX2 without VNNI sums pairs of uint8 x int8 products in 16 bits: 2 * 255 * 64 = 32640 cannot saturate,
    # 2 * 255 * 127 can; so only 7-bit weights give every CPU the same integer products (onnx_embedding).
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(exported_model(packaged_model_path(), True, cache_dir)))
    weights = [numpy_helper.to_array(t) for t in model.graph.initializer if t.data_type == onnx.TensorProto.INT8]
    assert len(weights) >= 36  # the 6 layers' 6 matrices each
    assert max(int(np.abs(w.astype(np.int16)).max()) for w in weights) == 64


def test_only_mean_pooling_models_are_exported(tmp_path):
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "tokenizer.json").write_text("{}")
    (tmp_path / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]))
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(
        {"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False}))
    with pytest.raises(ValueError, match="mean pooling only"):
        check_exportable(tmp_path)


def test_an_int8_vector_does_not_depend_on_the_texts_encoded_with_it(cache_dir):
    # int8 quantises activations per model call: batched texts would change each other's vectors.
    encoder = load_encoder(EmbeddingConfig(backend="onnx-int8", max_seq_length=128, cache_dir=cache_dir))
    together = encoder.encode(TEXTS, batch_size=4)
    alone = np.stack([encoder.encode([text])[0] for text in TEXTS])
    reordered = encoder.encode(TEXTS[::-1], batch_size=2)[::-1]
    np.testing.assert_array_equal(together, alone)
    np.testing.assert_array_equal(together, reordered)


def test_a_text_is_run_at_its_own_length_not_padded(cache_dir):
    # all-MiniLM-L6-v2's tokenizer.json pads every text to 128 tokens; a headline must cost its own length.
    encoder = load_encoder(EmbeddingConfig(backend="onnx-int8", max_seq_length=128, cache_dir=cache_dir))
    assert len(encoder._tokenizer.encode(TEXTS[0]).ids) < 32
    assert len(encoder._tokenizer.encode(TEXTS[1]).ids) == 128  # cut at max_seq_length
