"""Pagefind's files, made byte-for-byte reproducible.

Pagefind names each file by a hash of its content, and most of its output is
stable, but it builds two things from hash maps, whose order changes from run
to run: the values inside a filter file (kind, tag) and the list of filters in
the metadata file. Here those are sorted and the two files re-hashed and
renamed; the entry file points at the new metadata. Everything else is kept
as Pagefind wrote it. Pages keep the order in which they were sent (sorted by
URL), which is checked: that order is in every file.

Each page's id (its fragment's name, which a search result carries) is also
prefixed with its shard's tag, "post-03_en_1a2b3c4": the search page merges the
shards into one Pagefind instance and tells by the id which shard found a result.
"""

from __future__ import annotations

import gzip
import hashlib
import json

from . import cbor

SIGNATURE = b"pagefind_dcd"
ENTRY = "pagefind-entry.json"


def _unpack(data: bytes) -> object:
    raw = gzip.decompress(data)
    if not raw.startswith(SIGNATURE):
        raise ValueError("not a Pagefind data file")
    return raw[len(SIGNATURE):]


def _pack(value: bytes) -> bytes:
    return gzip.compress(SIGNATURE + value, compresslevel=9, mtime=0)


def _name(prefix: str, payload: bytes, length: int) -> str:
    return f"{prefix}_{hashlib.blake2b(payload, digest_size=16).hexdigest()[:length]}"


def shard_tag(folder: str) -> str:
    """The prefix of a shard's page ids: its folder's name ("post-03"), "root" for pagefind/
    itself (a kind's folder always ends in "-<n>"); static/search.js derives the same."""
    return folder.rstrip("/") or "root"


def stable_bundle(files: dict[str, bytes], urls: list[str], tag: str = "root") -> dict[str, bytes]:
    """The same bundle with its filters and metadata in a fixed order and its page ids
    prefixed with `tag`; raises ValueError if the files are not laid out as this
    Pagefind version does."""
    files = dict(files)
    entry = json.loads(files[ENTRY])
    for language, about in sorted(entry["languages"].items()):
        about["hash"] = _stable_meta(files, about["hash"], language, urls, tag)
    entry["languages"] = dict(sorted(entry["languages"].items()))
    files[ENTRY] = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return dict(sorted(files.items()))


def _stable_meta(files: dict[str, bytes], meta_hash: str, language: str, urls: list[str], tag: str) -> str:
    meta_path = f"pagefind.{meta_hash}.pf_meta"
    meta = cbor.decode(_unpack(files.pop(meta_path)))
    _check_page_order(files, meta[1], urls)
    for page in meta[1]:  # [id, word count]: the id names the page's fragment file
        files[f"fragment/{tag}_{page[0]}.pf_fragment"] = files.pop(f"fragment/{page[0]}.pf_fragment")
        page[0] = f"{tag}_{page[0]}"
    filters = []
    for name, filter_hash in meta[3]:
        filter_path = f"filter/{filter_hash}.pf_filter"
        filter_name, values = cbor.decode(_unpack(files.pop(filter_path)))
        payload = cbor.encode([filter_name, sorted(values, key=lambda value: value[0])])
        new_hash = _name(language, payload, 7)
        files[f"filter/{new_hash}.pf_filter"] = _pack(payload)
        filters.append([name, new_hash])
    meta[3] = sorted(filters)
    if isinstance(meta[5], list) and all(isinstance(field, str) for field in meta[5]):
        meta[5] = sorted(meta[5])  # the metadata fields' names, also collected in a hash set
    payload = cbor.encode(meta)
    new_hash = _name(language, payload, 10)
    files[f"pagefind.{new_hash}.pf_meta"] = _pack(payload)
    return new_hash


def _check_page_order(files: dict[str, bytes], pages: list, urls: list[str]) -> None:
    """Pages are numbered in the order they were indexed: that must be ours."""
    language_urls = [json.loads(_unpack(files[f"fragment/{page[0]}.pf_fragment"]))["url"] for page in pages]
    position = {url: n for n, url in enumerate(urls)}
    if language_urls != sorted(language_urls, key=lambda url: position.get(url, -1)):
        raise ValueError("Pagefind numbered the pages in another order than they were sent")


def filter_values(files: dict[str, bytes]) -> dict[str, list[str]]:
    """Each filter's values (kind, tag) in a bundle, over its languages."""
    found: dict[str, set[str]] = {}
    for about in json.loads(files[ENTRY])["languages"].values():
        meta = cbor.decode(_unpack(files[f"pagefind.{about['hash']}.pf_meta"]))
        for name, filter_hash in meta[3]:
            _, values = cbor.decode(_unpack(files[f"filter/{filter_hash}.pf_filter"]))
            found.setdefault(name, set()).update(value[0] for value in values)
    return {name: sorted(values) for name, values in sorted(found.items())}


def needed_by_a_shard(path: str) -> bool:
    """What a shard bundle needs to be searched (its data, the script and the
    WebAssembly it is searched with; search.js runs it without a worker);
    Pagefind's ready-made UI files are left to the root bundle."""
    return "/" in path or path == ENTRY or path.startswith(("pagefind.", "wasm."))
