"""Upload validation (name, type) and text extraction + chunking for .txt, .md and .pdf."""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
from pathlib import PurePosixPath
from typing import BinaryIO

from pypdf import PdfReader
from pypdf.errors import PdfReadError

CONTENT_TYPES = {
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".pdf": "application/pdf",
}
_UNSAFE = re.compile(r"[^\w.\- ()\[\]]+", re.UNICODE)
MAX_FILENAME = 200


class Rejected(Exception):
    """A user error in an upload: carries the HTTP status and a one-line reason."""

    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


def sanitize_filename(raw: str | None) -> str:
    """Keep only the last path component, drop control and unsafe characters; reject what is left empty."""
    name = unicodedata.normalize("NFKC", raw or "")
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = PurePosixPath(name.replace("\\", "/")).name
    name = _UNSAFE.sub("_", name).strip(" .")
    if not name or not PurePosixPath(name).stem.strip("._ "):
        raise Rejected(
            400,
            "filename is empty or invalid after removing path and control characters",
        )
    if len(name) > MAX_FILENAME:
        suffix = PurePosixPath(name).suffix[:16]
        name = name[: MAX_FILENAME - len(suffix)] + suffix
    return name


def content_type_for(filename: str, head: bytes) -> str:
    """Type by extension, confirmed by the first bytes (a renamed binary is not text)."""
    suffix = PurePosixPath(filename).suffix.lower()
    if suffix not in CONTENT_TYPES:
        raise Rejected(
            415,
            f"unsupported file type {suffix or '(none)'!r}; allowed: .txt, .md, .pdf",
        )
    if suffix == ".pdf":
        if not head.startswith(b"%PDF-"):
            raise Rejected(415, "file has a .pdf name but is not a PDF")
    elif b"\x00" in head:
        raise Rejected(415, f"file has a {suffix} name but binary content")
    return CONTENT_TYPES[suffix]


def check_text(stream: BinaryIO, block: int = 64 * 1024) -> None:
    """A text upload must be UTF-8 without NUL bytes: refused now (415), not accepted and failed later."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := stream.read(block):
            if b"\x00" in chunk:
                raise Rejected(415, "text file contains NUL bytes")
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise Rejected(415, "text file is not valid UTF-8") from None


def extract_text(data: bytes, content_type: str) -> str:
    if content_type == "application/pdf":
        try:
            reader = PdfReader(io.BytesIO(data))
            return "\n".join(page.extract_text() or "" for page in reader.pages)
        except (PdfReadError, ValueError, KeyError) as exc:
            raise Rejected(422, f"PDF could not be read: {type(exc).__name__}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Rejected(422, "text file is not valid UTF-8") from exc


def chunk_text(text: str, size: int = 800, overlap: int = 100) -> list[str]:
    """Split on whitespace into ~size-character windows that overlap, so a phrase keeps its context.

    A window whose text already occurred in the document is dropped (same text -> one chunk, one
    vector): a document of repeated passages would otherwise store thousands of identical vectors,
    which cost embedding calls and crowd the shared HNSW graph.
    """
    chunks: list[str] = []
    window: list[str] = []
    length = fresh = 0
    for word in text.split():
        window.append(word)
        length += len(word) + 1
        fresh += 1
        if length >= size:
            chunks.append(" ".join(window))
            keep: list[str] = []
            while window and sum(len(w) + 1 for w in keep) + len(window[-1]) + 1 <= overlap:
                keep.insert(0, window.pop())
            window, length, fresh = keep, sum(len(w) + 1 for w in keep), 0
    if fresh:
        chunks.append(" ".join(window))
    return list(dict.fromkeys(chunks))
