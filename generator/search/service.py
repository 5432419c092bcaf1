"""Talking to Pagefind's indexer: the binary bundled in the `pagefind[bin]` wheel,
run as `pagefind --service`.

Why not the wheel's own `pagefind.index.PagefindIndex`: its reader sleeps 0.1 s
before each response it reads, so indexing is capped at ten pages a second
(17 minutes for 10,000 posts), and its `get_files()` stalls once the index
passes its 2 MiB pipe buffer. The protocol underneath is small and is what the
wheel speaks: each message is base64(JSON) followed by a comma, both ways,
answered in order. Here every page is sent at once and the answers are read
as they come, so the indexer never waits on us.
"""

from __future__ import annotations

import base64
import json
import subprocess
import threading
from pathlib import Path

from ..build_cache import installed_version  # not importlib.metadata: see there


class IndexerError(RuntimeError):
    """Pagefind could not be run or refused a request."""


def indexer_version() -> str:
    return installed_version("pagefind_bin") or "none"


def _executable() -> Path:
    try:
        from pagefind_bin import get_executable
    except ImportError as exc:
        raise IndexerError("Pagefind's binary is not installed; run: .venv/bin/pip install -e .") from exc
    return get_executable()


def index_pages(pages: list[tuple[str, str]], config: dict) -> dict[str, bytes]:
    """Index (url, html) pages in this order; the bundle's files by path under pagefind/."""
    process = subprocess.Popen([str(_executable()), "--service"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        channel = _Channel(process)
        index_id = channel.ask({"type": "NewIndex", "config": config})["index_id"]
        adds = [{"type": "AddFile", "index_id": index_id, "url": url, "file_contents": html, "file_path": None}
                for url, html in pages]
        channel.ask_all(adds)
        files = channel.ask({"type": "GetFiles", "index_id": index_id})["files"]
        return {file["path"]: base64.b64decode(file["content"]) for file in files}
    finally:
        process.stdin.close()
        process.kill()
        process.wait()


class _Channel:
    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process
        self.next_id = 0
        self.buffer = bytearray()

    def ask(self, payload: dict) -> dict:
        return self.ask_all([payload])[-1]

    def ask_all(self, payloads: list[dict]) -> list[dict]:
        """Send every request from a thread while reading the answers, so that
        neither pipe fills up and blocks the other side."""
        first = self.next_id + 1
        self.next_id += len(payloads)
        sender = threading.Thread(target=self._send, args=(payloads, first), daemon=True)
        sender.start()
        answers = [self._receive(first + n) for n in range(len(payloads))]
        sender.join()
        return answers

    def _send(self, payloads: list[dict], first: int) -> None:
        try:
            for number, payload in enumerate(payloads, start=first):
                message = json.dumps({"message_id": number, "payload": payload}).encode("utf-8")
                self.process.stdin.write(base64.b64encode(message) + b",")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the reader reports the indexer's exit

    def _receive(self, expected: int) -> dict:
        while (end := self.buffer.find(b",")) < 0:
            chunk = self.process.stdout.read1(1 << 20)
            if not chunk:
                raise IndexerError(f"Pagefind stopped before answering (exit status {self.process.poll()}).")
            self.buffer += chunk
        message = json.loads(base64.b64decode(bytes(self.buffer[:end])))
        del self.buffer[:end + 1]
        payload = message.get("payload", {})
        if payload.get("type") == "Error" or message.get("message_id") != expected:
            raise IndexerError(f"Pagefind refused a request: {payload.get('message', payload)}")
        return payload
