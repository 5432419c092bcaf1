"""The small part of CBOR (RFC 8949) that Pagefind's index files use.

Pagefind writes its filter and metadata files as CBOR; pagefind_files.py reads
two of them to put their entries in a stable order. Integers, strings, arrays,
maps, booleans and null; definite lengths; shortest encodings (as Pagefind's
encoder writes them, so an untouched structure encodes to the same bytes).
"""

from __future__ import annotations

import struct


def decode(data: bytes) -> object:
    value, end = _item(data, 0)
    if end != len(data):
        raise ValueError(f"{len(data) - end} bytes after the CBOR value")
    return value


def _length(data: bytes, at: int) -> tuple[int, int]:
    info = data[at] & 0x1F
    if info < 24:
        return info, at + 1
    if info > 27:
        raise ValueError(f"unsupported CBOR length {info} at byte {at}")
    size = 1 << (info - 24)
    return int.from_bytes(data[at + 1:at + 1 + size], "big"), at + 1 + size


def _item(data: bytes, at: int) -> tuple[object, int]:
    major = data[at] >> 5
    if major == 7:
        simple = {0xF4: False, 0xF5: True, 0xF6: None}
        if data[at] in simple:
            return simple[data[at]], at + 1
        if data[at] == 0xFB:
            return struct.unpack(">d", data[at + 1:at + 9])[0], at + 9
        raise ValueError(f"unsupported CBOR value {data[at]:#x} at byte {at}")
    count, at = _length(data, at)
    if major == 0:
        return count, at
    if major == 1:
        return -1 - count, at
    if major in (2, 3):
        raw = data[at:at + count]
        return (raw if major == 2 else raw.decode("utf-8")), at + count
    if major == 4:
        items = []
        for _ in range(count):
            item, at = _item(data, at)
            items.append(item)
        return items, at
    if major == 5:
        pairs = {}
        for _ in range(count):
            key, at = _item(data, at)
            pairs[key], at = _item(data, at)
        return pairs, at
    raise ValueError(f"unsupported CBOR major type {major} at byte {at}")


def encode(value: object) -> bytes:
    if value is None or isinstance(value, bool):
        return bytes([{None: 0xF6, False: 0xF4, True: 0xF5}[value]])
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _head(3, len(raw)) + raw
    if isinstance(value, list):
        return _head(4, len(value)) + b"".join(map(encode, value))
    if isinstance(value, dict):
        return _head(5, len(value)) + b"".join(encode(k) + encode(v) for k, v in value.items())
    raise TypeError(f"cannot encode {type(value).__name__} as CBOR")


def _head(major: int, count: int) -> bytes:
    if count < 24:
        return bytes([major << 5 | count])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if count < 1 << (8 * size):
            return bytes([major << 5 | info]) + count.to_bytes(size, "big")
    raise ValueError("integer too large for CBOR")
