"""Near-duplicate detection: shingles, MinHash signatures, LSH bands, exact verification, grouping.

Pure functions, no Beam. ``transforms/`` wires them into the ``DetectNearDuplicates`` stage:

1. per article: :func:`shingles` -> :func:`signature` -> :func:`band_keys` (one ``(band key, article_id)``
   per band; an article without shingles gets no band key and stays a singleton);
2. per band bucket: :func:`bucket_pairs` (oversized buckets capped and counted);
3. per candidate pair, joined with both articles' shingles: :func:`verify_pair` (exact set overlap;
   the MinHash estimate only finds candidates, it never decides);
4. once, globally: :func:`group_duplicates` (anchor-based, no chaining).

Two texts are copies when the Jaccard similarity of their word-shingle sets reaches
``NearDupConfig.threshold``, or when the smaller set is almost entirely contained in the larger one
(``containment_threshold``) and is big enough for that to mean something (``containment_min_shingles``):
a reprint that drops a paragraph, or keeps a sidebar of site boilerplate, has a low Jaccard but a high
containment. The defaults are measured on the labelled data in ``/work/shared/eval`` (see
``evaluation/neardup_eval.py`` and ``tests/golden/test_neardup_golden.py``): on 3,947 extractor outputs
of 181 news pages, copies of one page have a median Jaccard of 0.92 but a 5 % quantile of 0.67 (extra
boilerplate, truncation), while their containment's 1 % quantile is 0.80; across different pages (and
across different articles on the same event in ECB+) no pair exceeds containment 0.34 or Jaccard 0.17.
"""
from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import xxhash
from datasketch import MinHash
from datasketch.lsh import _optimal_param

# Words are runs of Unicode letters/digits/underscore; punctuation, quote style and spacing never
# make two copies differ ("We’d" and "We'd" both give "we", "d").
_WORD = re.compile(r"\w+")

# 64-bit permutation scheme: shingles are already uniform 64-bit xxhash values, fed to datasketch
# through an identity hash function, so nothing is truncated to 32 bits on the way in.
_SCHEME = "affine64"
_EMPTY_HASH = np.uint64(np.iinfo(np.uint64).max)


def _identity(value: int) -> int:
    return value


@functools.lru_cache(maxsize=64)
def _optimal_bands_rows(
    threshold: float, num_perm: int, false_positive_weight: float, false_negative_weight: float
) -> tuple[int, int]:
    # datasketch's own search (also used by MinHashLSH): the (bands, rows) with bands * rows <= num_perm
    # minimising fp_weight * (area under the S-curve below the threshold)
    #         + fn_weight * (area above the S-curve above the threshold).
    return _optimal_param(threshold, num_perm, false_positive_weight, false_negative_weight)


@dataclass(frozen=True)
class NearDupConfig:
    """Configuration of the near-duplicate stage; bands and rows are derived here.

    ``threshold``: Jaccard similarity of the two shingle sets at or above which two texts are copies.
    ``containment_threshold``: if not None, two texts are also copies when
    ``|A ∩ B| / min(|A|, |B|)`` reaches it and the smaller set has at least ``containment_min_shingles``
    shingles (a 10-word quote shared by two different stories must not make them copies).
    ``candidate_threshold``: the Jaccard similarity the LSH bands are tuned for. It defaults to
    ``threshold`` when containment is off; with containment on, copies can have a low Jaccard (a
    300-shingle reprint inside a 700-shingle page has J = 0.43), so it defaults to a lower value.
    ``bands``/``rows``: datasketch's ``_optimal_param`` for (candidate_threshold, num_perm) with the
    given false-positive/false-negative weights. False negatives weigh more by default: a missed
    candidate is a missed copy, while a false candidate only costs one exact verification.
    ``max_bucket_size``: in an LSH bucket with more members, each member is paired only with the
    bucket's first ``max_bucket_size`` members by sorted id (the stage counts such buckets).
    """

    threshold: float = 0.7
    num_perm: int = 128
    shingle_size: int = 5
    seed: int = 1
    max_bucket_size: int = 200
    # 0.8 -> 0.7 when re-checked on the tuning part only (python -m evaluation.neardup_tuning, 2026-12):
    # pairwise F1 0.9896 -> 0.9916 there, no false merge, no group mixing events.
    containment_threshold: float | None = 0.7
    containment_min_shingles: int = 20
    candidate_threshold: float | None = None
    false_positive_weight: float = 0.3
    false_negative_weight: float = 0.7
    bands: int = field(init=False)
    rows: int = field(init=False)

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {self.threshold}")
        if self.num_perm < 2:
            raise ValueError(f"num_perm must be >= 2, got {self.num_perm}")
        if self.shingle_size < 1:
            raise ValueError(f"shingle_size must be >= 1, got {self.shingle_size}")
        if not 0 <= self.seed < 2**32:
            raise ValueError(f"seed must be in [0, 2**32), got {self.seed}")
        if self.max_bucket_size < 2:
            raise ValueError(f"max_bucket_size must be >= 2, got {self.max_bucket_size}")
        if self.containment_threshold is not None and not 0.0 < self.containment_threshold <= 1.0:
            raise ValueError(f"containment_threshold must be in (0, 1] or None, got {self.containment_threshold}")
        if self.containment_min_shingles < 1:
            raise ValueError(f"containment_min_shingles must be >= 1, got {self.containment_min_shingles}")
        if self.candidate_threshold is not None and not 0.0 < self.candidate_threshold <= 1.0:
            raise ValueError(f"candidate_threshold must be in (0, 1] or None, got {self.candidate_threshold}")
        for name in ("false_positive_weight", "false_negative_weight"):
            weight = getattr(self, name)
            if not 0.0 <= weight <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {weight}")
        if abs(self.false_positive_weight + self.false_negative_weight - 1.0) > 1e-9:
            raise ValueError("false_positive_weight + false_negative_weight must be 1")
        if self.candidate_threshold is None:
            # With containment on, tune the bands for the Jaccard of a copy that keeps half the page.
            candidate = self.threshold if self.containment_threshold is None else min(self.threshold, 0.4)
            object.__setattr__(self, "candidate_threshold", candidate)
        bands, rows = _optimal_bands_rows(
            float(self.candidate_threshold), self.num_perm, self.false_positive_weight, self.false_negative_weight
        )
        object.__setattr__(self, "bands", bands)
        object.__setattr__(self, "rows", rows)

    @property
    def is_containment_on(self) -> bool:
        return self.containment_threshold is not None


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


# ASCII bytes that ``\w`` does not match become spaces; bytes >= 0x80 (parts of non-ASCII characters)
# are kept and settled by the Unicode regex, token by token (see _spaced_bytes).
_ASCII_NON_WORD_TO_SPACE = bytes(
    byte if byte >= 0x80 or chr(byte).isalnum() or byte == ord("_") else ord(" ") for byte in range(256)
)
_NON_ASCII_TOKEN = re.compile(rb"[^ ]*[\x80-\xff][^ ]*")
_SPACE_JOIN = b" ".join


def _split_non_ascii(token: re.Match) -> bytes:
    return _SPACE_JOIN(word.encode("utf-8") for word in _WORD.findall(token.group().decode("utf-8"))) or b" "


def _spaced_bytes(text: str) -> bytes:
    """The UTF-8 bytes of ``text.lower()`` with every non-word character turned into spaces, so that
    ``.split()`` gives exactly the words of ``_words(text)``, without a regex pass over every character.

    An ASCII byte in UTF-8 is always that ASCII character (multi-byte sequences use bytes >= 0x80 only),
    and an ASCII character is a word character for ``\\w`` exactly when it is alphanumeric or ``_``.
    So mapping the other ASCII bytes to spaces splits an ASCII text into its words, and tokens holding
    non-ASCII characters (accents, non-breaking spaces, dashes) are split again with the Unicode
    ``\\w+`` regex itself: the same words, in the same order, as ``_words``.
    """
    data = text.lower().encode("utf-8").translate(_ASCII_NON_WORD_TO_SPACE)
    if not data.isascii():
        data = _NON_ASCII_TOKEN.sub(_split_non_ascii, data)
    return data


def _gram_hashes_python(spaced: bytes, size: int) -> np.ndarray:
    words = spaced.split()
    if not words:
        return np.empty(0, dtype=np.uint64)
    if len(words) <= size:
        return np.array([xxhash.xxh3_64_intdigest(_SPACE_JOIN(words))], dtype=np.uint64)
    count = len(words) - size + 1
    # zip over shifted lists builds each gram's word tuple in C; joining bytes skips re-encoding.
    grams = map(_SPACE_JOIN, zip(*(words[offset:] for offset in range(size))))
    return np.fromiter(map(xxhash.xxh3_64_intdigest, grams), dtype=np.uint64, count=count)


try:
    from transforms.shingle_hashing import gram_hashes as _gram_hashes_compiled
except ImportError:  # numba is a dependency; without it the Python path gives the same values, slower
    _gram_hashes_compiled = None


def shingles(text: str, size: int, compiled: bool | None = None) -> np.ndarray:
    """Sorted unique uint64 hashes (xxh3-64 of the space-joined words) of the lowercase word ``size``-grams.

    A text with fewer than ``size`` words (but at least one) gives one shingle of all its words; a text
    without words gives an empty array. Expects text already through ``normalization.normalize_text``.
    The grams are hashed by a numba-compiled XXH3 (``compiled`` None: when numba is installed) or by
    the ``xxhash`` package; both give the same values.
    """
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    spaced = _spaced_bytes(text)
    use_compiled = _gram_hashes_compiled is not None if compiled is None else compiled
    if use_compiled and _gram_hashes_compiled is None:
        raise RuntimeError("compiled=True needs numba")
    hashed = _gram_hashes_compiled(spaced, size) if use_compiled else _gram_hashes_python(spaced, size)
    if len(hashed) < 2:
        return hashed
    hashed.sort()
    keep = np.empty(len(hashed), dtype=bool)
    keep[0] = True
    np.not_equal(hashed[1:], hashed[:-1], out=keep[1:])
    return hashed[keep]


@functools.lru_cache(maxsize=16)
def _template(num_perm: int, seed: int) -> MinHash:
    # Permutations are drawn once per (num_perm, seed) and shared by every signature.
    return MinHash(num_perm=num_perm, seed=seed, hashfunc=_identity, scheme=_SCHEME)


@functools.lru_cache(maxsize=16)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    a, b = _template(num_perm, seed).permutations
    return np.ascontiguousarray(a, dtype=np.uint64), np.ascontiguousarray(b, dtype=np.uint64)


def _fmix64(values: np.ndarray) -> np.ndarray:
    # datasketch's one-shot pre-mix of every input hash (the MurmurHash3 64-bit finalizer).
    values = values ^ (values >> np.uint64(33))
    values = values * np.uint64(0xFF51AFD7ED558CCD)
    values = values ^ (values >> np.uint64(33))
    values = values * np.uint64(0xC4CEB9FE1A85EC53)
    return values ^ (values >> np.uint64(33))


_CHUNK = 1024


def _min_affine_numpy(mixed: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    # Permutations along rows: the min runs along contiguous memory; chunks keep the block in cache.
    a_col, b_col = a[:, None], b[:, None]
    block = np.empty((len(a), min(len(mixed), _CHUNK)), dtype=np.uint64)
    for start in range(0, len(mixed), _CHUNK):
        part = mixed[start : start + _CHUNK]
        view = block[:, : len(part)]
        np.multiply(a_col, part, out=view)  # uint64 arithmetic wraps: the modulo 2**64 of affine64
        np.add(view, b_col, out=view)
        np.minimum(out, view.min(axis=1), out=out)


try:
    import numba

    @numba.njit(cache=True, nogil=True)
    def _min_affine_compiled(mixed, a, b, out):  # noqa: ANN001, ANN202 (numba-typed)
        for k in range(a.shape[0]):
            a_k = a[k]
            b_k = b[k]
            low = out[k]
            for i in range(mixed.shape[0]):
                value = a_k * mixed[i] + b_k  # uint64 * uint64 wraps modulo 2**64, as in numpy
                if value < low:
                    low = value
            out[k] = low

except ImportError:  # numba is a dependency; without it the numpy path gives the same values, slower
    _min_affine_compiled = None


def signature(shingle_hashes: np.ndarray, config: NearDupConfig, compiled: bool | None = None) -> np.ndarray:
    """datasketch MinHash hash values (uint64, length ``num_perm``) of a shingle set.

    Exactly ``datasketch.MinHash(scheme="affine64")`` with an identity hash function over the shingle
    hashes: each hash is pre-mixed with datasketch's finalizer, then every permutation ``a * h + b``
    (mod 2**64, datasketch's own ``a``, ``b`` for ``num_perm`` and ``seed``) keeps its minimum. So a
    signature can be turned back into a datasketch ``MinHash``/``LeanMinHash`` with
    ``MinHash(num_perm, seed, hashvalues=sig, scheme="affine64")``. An empty shingle set gives the
    empty signature (all values ``2**64 - 1``). The minimum runs in a numba-compiled loop (``compiled``
    None: when numba is installed), else in chunked numpy; both give the same values.
    """
    a, b = _permutations(config.num_perm, config.seed)
    out = np.full(config.num_perm, _EMPTY_HASH, dtype=np.uint64)
    if len(shingle_hashes):
        mixed = _fmix64(np.ascontiguousarray(shingle_hashes, dtype=np.uint64))
        use_compiled = _min_affine_compiled is not None if compiled is None else compiled
        if use_compiled:
            if _min_affine_compiled is None:
                raise RuntimeError("compiled=True needs numba")
            _min_affine_compiled(mixed, a, b, out)
        else:
            _min_affine_numpy(mixed, a, b, out)
    return out


def to_datasketch(sig: np.ndarray, config: NearDupConfig) -> MinHash:
    """The datasketch ``MinHash`` a signature came from (for ``MinHashLSH`` and ``jaccard`` estimates)."""
    return MinHash(num_perm=config.num_perm, seed=config.seed, hashvalues=sig, scheme=_SCHEME)


def is_empty_signature(sig: np.ndarray) -> bool:
    return bool(np.all(sig == _EMPTY_HASH))


def band_keys(sig: np.ndarray, config: NearDupConfig) -> list[bytes]:
    """One LSH bucket key per band: 2-byte big-endian band index + xxh3-128 digest of the band's rows.

    Two articles share a key exactly when one band of their signatures is equal (up to a 2**-128
    digest collision); digests keep shuffle keys at 18 bytes whatever ``rows`` is. The empty
    signature gets no keys: texts without words are never candidates.
    """
    sig = np.asarray(sig, dtype=np.uint64)
    if sig.shape != (config.num_perm,):
        raise ValueError(f"signature must have shape ({config.num_perm},), got {sig.shape}")
    if is_empty_signature(sig):
        return []
    rows = config.rows
    big_endian = sig.astype(">u8")
    return [
        band.to_bytes(2, "big") + xxhash.xxh3_128_digest(big_endian[band * rows : (band + 1) * rows].tobytes())
        for band in range(config.bands)
    ]


def bucket_pairs(article_ids: Sequence[str], max_bucket_size: int) -> tuple[list[tuple[str, str]], bool]:
    """Candidate pairs ``(a, b)`` with ``a < b`` of one LSH bucket, sorted; and whether the bucket was capped.

    Repeated ids count once. In a bucket of more than ``max_bucket_size`` distinct ids, each member is
    paired only with the first ``max_bucket_size`` ids in sorted order, which bounds the pairs at
    ``max_bucket_size * n`` instead of ``n**2 / 2`` (huge buckets are boilerplate-only texts, not copies).
    """
    if max_bucket_size < 2:
        raise ValueError(f"max_bucket_size must be >= 2, got {max_bucket_size}")
    members = sorted(set(article_ids))
    capped = len(members) > max_bucket_size
    head = members[:max_bucket_size]
    pairs = [(head[i], head[j]) for i in range(len(head)) for j in range(i + 1, len(head))]
    # Every head id sorts before every tail id, so (head, tail) pairs are already ordered a < b.
    pairs.extend((h, t) for h in head for t in members[max_bucket_size:])
    pairs.sort()
    return pairs, capped


@dataclass(frozen=True)
class PairScore:
    """Exact similarity of one candidate pair (``a < b``) and the decision taken on it."""

    a: str
    b: str
    jaccard: float
    containment: float
    is_duplicate: bool


def verify_pair(
    a_id: str, a_shingles: np.ndarray, b_id: str, b_shingles: np.ndarray, config: NearDupConfig
) -> PairScore:
    """Exact Jaccard and containment of two sorted unique shingle arrays, and the copy decision.

    Jaccard = |A ∩ B| / |A ∪ B|; containment = |A ∩ B| / min(|A|, |B|); both 0.0 if either set is empty
    (texts without words are never copies). The returned pair is ordered so that ``a < b``.
    """
    if a_id == b_id:
        raise ValueError(f"cannot verify an article against itself: {a_id!r}")
    if a_id > b_id:
        a_id, a_shingles, b_id, b_shingles = b_id, b_shingles, a_id, a_shingles
    size_a, size_b = len(a_shingles), len(b_shingles)
    if size_a == 0 or size_b == 0:
        return PairScore(a_id, b_id, 0.0, 0.0, False)
    common = np.intersect1d(a_shingles, b_shingles, assume_unique=True).size
    jaccard = common / (size_a + size_b - common)
    smaller = min(size_a, size_b)
    containment = common / smaller
    is_duplicate = jaccard >= config.threshold or (
        config.containment_threshold is not None
        and smaller >= config.containment_min_shingles
        and containment >= config.containment_threshold
    )
    return PairScore(a_id, b_id, float(jaccard), float(containment), bool(is_duplicate))


@dataclass(frozen=True)
class DupAssignment:
    """One article's place in the near-duplicate groups; every article gets exactly one."""

    article_id: str
    dup_group_id: str
    anchor_id: str
    similarity_to_anchor: float  # exact Jaccard to the anchor (1.0 for the anchor itself)
    is_anchor: bool
    containment_to_anchor: float = 1.0  # exact containment to the anchor (1.0 for the anchor itself)


def dup_group_id(anchor_id: str) -> str:
    """Stable group id: ``"dup-"`` + first 16 hex digits of sha1(anchor_id)."""
    return "dup-" + hashlib.sha1(anchor_id.encode("utf-8")).hexdigest()[:16]


def group_duplicates(
    article_ids: Iterable[str],
    verified: Iterable[PairScore],
    priority: Mapping[str, tuple] | None = None,
    prefer_most_duplicates: bool = True,
) -> list[DupAssignment]:
    """Group articles around anchors, without chaining; returns one assignment per article, sorted by id.

    Anchor order: ascending ``(priority[id], -copies(id), id)``, where ``priority`` is optional (when
    given, every id needs an entry) and ``copies(id)`` is the article's number of verified duplicate
    pairs (left out when ``prefer_most_duplicates`` is False). Walking that order, the first unassigned
    article becomes an anchor and every unassigned article whose verified pair *with that anchor* is a
    duplicate joins its group. An article near a member but not near the anchor is not pulled in
    (A~B, B~C, A!~C gives {A, B}, {C}), so every member is a verified copy of its group's anchor and
    anchors are never copies of each other.

    Why most copies first: a group only holds the anchor's own copies, so the anchor should be the
    copy closest to all the others (a medoid). On the Zyte extractor variants it lifts pairwise recall
    from 0.986 (smallest id) and 0.967 (longest text first) to 0.995. Put in ``priority`` only what must
    win over that, e.g. ``(published_at or datetime.max,)`` to anchor on the earliest report.

    Non-duplicate scores and repeated pairs are allowed; pairs naming unknown ids raise ``ValueError``.
    The result depends only on the sets of ids and pairs and on ``priority``, never on input order.
    """
    ids = set(article_ids)
    if priority is not None:
        missing = ids.difference(priority)
        if missing:
            raise ValueError(f"priority has no entry for {len(missing)} ids, e.g. {sorted(missing)[:3]}")
    duplicates: dict[str, dict[str, PairScore]] = {article_id: {} for article_id in ids}
    for score in verified:
        if score.a not in ids or score.b not in ids:
            raise ValueError(f"verified pair ({score.a!r}, {score.b!r}) names an article not in article_ids")
        if score.is_duplicate and score.a != score.b:
            duplicates[score.a][score.b] = score
            duplicates[score.b][score.a] = score

    def anchor_order(article_id: str) -> tuple:
        copies = len(duplicates[article_id]) if prefer_most_duplicates else 0
        return (priority[article_id] if priority is not None else (), -copies, article_id)

    assigned: dict[str, DupAssignment] = {}
    for anchor in sorted(ids, key=anchor_order):
        if anchor in assigned:
            continue
        group = dup_group_id(anchor)
        assigned[anchor] = DupAssignment(anchor, group, anchor, 1.0, True, 1.0)
        for member in sorted(duplicates[anchor]):
            if member not in assigned:
                score = duplicates[anchor][member]
                assigned[member] = DupAssignment(member, group, anchor, score.jaccard, False, score.containment)
    return [assigned[article_id] for article_id in sorted(assigned)]


def component_roots(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Every id named in ``pairs`` → the smallest id of its connected component (union-find).

    ``group_duplicates`` on one component never looks at another: an article's group depends only on
    the articles it can reach through verified copies. So the grouping can run per component, keyed by
    this root, and give exactly the result of one global call.
    """
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: root(x) for x in parent}
