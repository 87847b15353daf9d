"""xxh3-64 of every word n-gram of a text, compiled with numba: the hashes ``transforms/minhash.py``
defines (``xxhash.xxh3_64_intdigest`` of the space-joined gram, seed 0), without a Python object per
word or per gram.

``gram_hashes(data, size)`` takes the text's bytes with every non-word byte already a space (see
``minhash._word_bytes``), squeezes runs of spaces, and hashes each window of ``size`` words straight out
of that buffer. XXH3's short-input paths (1 to 240 bytes, everything a gram of a few words needs) are
written out below after the reference C implementation (xxhash.h, v0.8); longer grams are flagged and
hashed by the ``xxhash`` package instead, so every value is exactly the library's. The tests compare
the two on every length from 1 to 300 bytes.
"""
from __future__ import annotations

import numpy as np
import numba

# XXH3_kSecret: the default 192-byte secret of XXH3 (xxhash.h).
_SECRET = np.array([
    0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
    0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
    0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
    0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e, 0xe0, 0x35, 0x90, 0xe6, 0x81, 0x3a, 0x26, 0x4c,
    0x3c, 0x28, 0x52, 0xbb, 0x91, 0xc3, 0x00, 0xcb, 0x88, 0xd0, 0x65, 0x8b, 0x1b, 0x53, 0x2e, 0xa3,
    0x71, 0x64, 0x48, 0x97, 0xa2, 0x0d, 0xf9, 0x4e, 0x38, 0x19, 0xef, 0x46, 0xa9, 0xde, 0xac, 0xd8,
    0xa8, 0xfa, 0x76, 0x3f, 0xe3, 0x9c, 0x34, 0x3f, 0xf9, 0xdc, 0xbb, 0xc7, 0xc7, 0x0b, 0x4f, 0x1d,
    0x8a, 0x51, 0xe0, 0x4b, 0xcd, 0xb4, 0x59, 0x31, 0xc8, 0x9f, 0x7e, 0xc9, 0xd9, 0x78, 0x73, 0x64,
    0xea, 0xc5, 0xac, 0x83, 0x34, 0xd3, 0xeb, 0xc3, 0xc5, 0x81, 0xa0, 0xff, 0xfa, 0x13, 0x63, 0xeb,
    0x17, 0x0d, 0xdd, 0x51, 0xb7, 0xf0, 0xda, 0x49, 0xd3, 0x16, 0x55, 0x26, 0x29, 0xd4, 0x68, 0x9e,
    0x2b, 0x16, 0xbe, 0x58, 0x7d, 0x47, 0xa1, 0xfc, 0x8f, 0xf8, 0xb8, 0xd1, 0x7a, 0xd0, 0x31, 0xce,
    0x45, 0xcb, 0x3a, 0x8f, 0x95, 0x16, 0x04, 0x28, 0xaf, 0xd7, 0xfb, 0xca, 0xbb, 0x4b, 0x40, 0x7e,
], dtype=np.uint8)

MAX_COMPILED_LENGTH = 240  # longer grams are hashed by the xxhash package

_U8 = np.uint64(8)
_U16 = np.uint64(16)
_U24 = np.uint64(24)
_U32 = np.uint64(32)
_MASK32 = np.uint64(0xFFFFFFFF)
_PRIME32_1 = np.uint64(0x9E3779B1)
_PRIME64_1 = np.uint64(0x9E3779B185EBCA87)
_PRIME64_2 = np.uint64(0xC2B2AE3D27D4EB4F)
_PRIME64_3 = np.uint64(0x165667B19E3779F9)
_PRIME_MX1 = np.uint64(0x165667919E3779F9)
_PRIME_MX2 = np.uint64(0x9FB21C651E98DF25)


@numba.njit(cache=True, inline="always")
def _read64(data, offset):
    value = np.uint64(0)
    for k in range(7, -1, -1):
        value = (value << _U8) | np.uint64(data[offset + k])
    return value


@numba.njit(cache=True, inline="always")
def _read32(data, offset):
    value = np.uint64(0)
    for k in range(3, -1, -1):
        value = (value << _U8) | np.uint64(data[offset + k])
    return value


@numba.njit(cache=True, inline="always")
def _mul128_fold64(a, b):
    a_lo, a_hi = a & _MASK32, a >> _U32
    b_lo, b_hi = b & _MASK32, b >> _U32
    lo_lo = a_lo * b_lo
    hi_lo = a_hi * b_lo
    lo_hi = a_lo * b_hi
    hi_hi = a_hi * b_hi
    cross = (lo_lo >> _U32) + (hi_lo & _MASK32) + lo_hi
    upper = (hi_lo >> _U32) + (cross >> _U32) + hi_hi
    lower = (cross << _U32) | (lo_lo & _MASK32)
    return lower ^ upper


@numba.njit(cache=True, inline="always")
def _xxh64_avalanche(h):
    h ^= h >> np.uint64(33)
    h *= _PRIME64_2
    h ^= h >> np.uint64(29)
    h *= _PRIME64_3
    return h ^ (h >> _U32)


@numba.njit(cache=True, inline="always")
def _avalanche(h):
    h ^= h >> np.uint64(37)
    h *= _PRIME_MX1
    return h ^ (h >> _U32)


@numba.njit(cache=True, inline="always")
def _rotl(x, r):
    return (x << np.uint64(r)) | (x >> np.uint64(64 - r))


@numba.njit(cache=True, inline="always")
def _swap64(x):
    out = np.uint64(0)
    for _ in range(8):
        out = (out << _U8) | (x & np.uint64(0xFF))
        x >>= _U8
    return out


@numba.njit(cache=True, inline="always")
def _mix16(data, offset, secret, secret_offset):
    low = _read64(data, offset) ^ _read64(secret, secret_offset)
    high = _read64(data, offset + 8) ^ _read64(secret, secret_offset + 8)
    return _mul128_fold64(low, high)


@numba.njit(cache=True)
def xxh3_64(data, start, length, secret):
    """XXH3-64 (seed 0, default secret) of ``data[start:start + length]`` for 1 <= length <= 240."""
    n = np.uint64(length)
    if length <= 3:
        c1 = np.uint64(data[start])
        c2 = np.uint64(data[start + (length >> 1)])
        c3 = np.uint64(data[start + length - 1])
        combined = (c1 << _U16) | (c2 << _U24) | c3 | (n << _U8)
        bitflip = (_read32(secret, 0) ^ _read32(secret, 4)) & _MASK32
        return _xxh64_avalanche(combined ^ bitflip)
    if length <= 8:
        input1 = _read32(data, start)
        input2 = _read32(data, start + length - 4)
        bitflip = _read64(secret, 8) ^ _read64(secret, 16)
        keyed = (input2 + (input1 << _U32)) ^ bitflip
        keyed ^= _rotl(keyed, 49) ^ _rotl(keyed, 24)
        keyed *= _PRIME_MX2
        keyed ^= (keyed >> np.uint64(35)) + n
        keyed *= _PRIME_MX2
        return keyed ^ (keyed >> np.uint64(28))
    if length <= 16:
        low = _read64(data, start) ^ (_read64(secret, 24) ^ _read64(secret, 32))
        high = _read64(data, start + length - 8) ^ (_read64(secret, 40) ^ _read64(secret, 48))
        acc = n + _swap64(low) + high + _mul128_fold64(low, high)
        return _avalanche(acc)
    acc = n * _PRIME64_1
    if length <= 128:
        if length > 32:
            if length > 64:
                if length > 96:
                    acc += _mix16(data, start + 48, secret, 96)
                    acc += _mix16(data, start + length - 64, secret, 112)
                acc += _mix16(data, start + 32, secret, 64)
                acc += _mix16(data, start + length - 48, secret, 80)
            acc += _mix16(data, start + 16, secret, 32)
            acc += _mix16(data, start + length - 32, secret, 48)
        acc += _mix16(data, start, secret, 0)
        acc += _mix16(data, start + length - 16, secret, 16)
        return _avalanche(acc)
    rounds = length // 16
    for i in range(8):
        acc += _mix16(data, start + 16 * i, secret, 16 * i)
    acc = _avalanche(acc)
    for i in range(8, rounds):
        acc += _mix16(data, start + 16 * i, secret, 16 * (i - 8) + 3)
    acc += _mix16(data, start + length - 16, secret, 136 - 17)
    return _avalanche(acc)


@numba.njit(cache=True, nogil=True)
def _gram_hashes(spaced, size, secret):
    # Squeeze runs of spaces (bytes 32) into one, recording where each word starts and ends.
    packed = np.empty(spaced.shape[0], dtype=np.uint8)
    starts = np.empty(spaced.shape[0] // 2 + 1, dtype=np.int64)
    ends = np.empty(spaced.shape[0] // 2 + 1, dtype=np.int64)
    words = 0
    length = 0
    in_word = False
    for i in range(spaced.shape[0]):
        byte = spaced[i]
        if byte == 32:
            if in_word:
                ends[words] = length
                words += 1
                in_word = False
        else:
            if not in_word:
                if words:
                    packed[length] = 32
                    length += 1
                starts[words] = length
                in_word = True
            packed[length] = byte
            length += 1
    if in_word:
        ends[words] = length
        words += 1
    if words == 0:
        return np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64), packed[:0], starts[:0], ends[:0]
    count = max(words - size + 1, 1)
    last = min(size, words) - 1
    hashes = np.empty(count, dtype=np.uint64)
    too_long = np.empty(count, dtype=np.int64)
    flagged = 0
    for g in range(count):
        begin = starts[g]
        gram_length = ends[g + last] - begin
        if gram_length <= 240:
            hashes[g] = xxh3_64(packed, begin, gram_length, secret)
        else:
            hashes[g] = 0
            too_long[flagged] = g
            flagged += 1
    return hashes, too_long[:flagged], packed[:length], starts[:words], ends[:words]


def gram_hashes(spaced: bytes, size: int) -> np.ndarray:
    """xxh3-64 of each ``size``-word window of the words in ``spaced`` (words separated by runs of
    spaces), joined by single spaces; one hash of all the words when there are ``size`` or fewer, an
    empty array when there are none. Unsorted, in window order, repeats kept."""
    import xxhash

    hashes, too_long, packed, starts, ends = _gram_hashes(np.frombuffer(spaced, dtype=np.uint8), size, _SECRET)
    last = min(size, len(starts)) - 1
    for g in too_long:
        hashes[g] = xxhash.xxh3_64_intdigest(packed[starts[g] : ends[g + last]].tobytes())
    return hashes
