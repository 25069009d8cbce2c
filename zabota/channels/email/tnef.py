"""Outlook's TNEF (``winmail.dat``, ``application/ms-tnef``): its attachments and its body.

Exchange wraps attachments and the rich-text body of a message into one opaque TNEF stream; the
customer's files are only reachable by decoding it. ``tnefparse`` reads the stream; this module
turns its result into plain files, follows attached Outlook items (embedded messages) a few
levels deep, and decompresses the RTF body (MS-OXRTFCP), which tnefparse leaves compressed
unless an optional package is installed.
"""

import logging
import struct
from dataclasses import dataclass, field

from tnefparse.mapi import TNEFMAPI_Attribute
from tnefparse.tnef import TNEF

_EMBEDDED_DEPTH = 3
# tnefparse logs every attribute it does not know at WARNING; those are not our problems.
logging.getLogger("tnefparse").setLevel(logging.ERROR)

_MAPI_SUBJECT = 0x0037
_MAPI_CONVERSATION_TOPIC = 0x0070
_MAPI_ATTACH_MIME_TAG = 0x370E
_MAPI_ATTACH_CONTENT_ID = 0x3712


class TnefError(Exception):
    """The stream is not TNEF or is too damaged to read anything from."""


@dataclass(frozen=True)
class TnefFile:
    filename: str
    data: bytes
    content_type: str = "application/octet-stream"
    content_id: str = ""


@dataclass
class TnefContent:
    files: list[TnefFile] = field(default_factory=list)
    text: str = ""
    html: str = ""
    # The decompressed RTF body (bytes of an RTF document), b"" when there is none.
    rtf: bytes = b""


def is_tnef(content_type: str, filename: str) -> bool:
    return content_type in {"application/ms-tnef", "application/vnd.ms-tnef"} or (
        filename.casefold() in {"winmail.dat", "win.dat"}
    )


def extract(data: bytes) -> TnefContent:
    """The files and body inside a TNEF stream; raises TnefError if it cannot be read at all."""
    try:
        tnef = TNEF(data, do_checksum=False)
    except Exception as error:  # tnefparse raises bare ValueError/IndexError/struct.error.
        raise TnefError(f"unreadable TNEF stream: {error}") from error
    content = TnefContent()
    _collect(tnef, content, depth=0)
    return content


def _collect(tnef: TNEF, content: TnefContent, *, depth: int) -> None:
    if depth == 0:
        content.text = _as_text(tnef.body)
        content.html = _as_text(tnef.htmlbody)
        compressed = getattr(tnef, "_rtfbody", None)
        if compressed:
            try:
                content.rtf = decompress_rtf(bytes(compressed))
            except TnefError:
                content.rtf = b""
    for attachment in tnef.attachments:
        embedded = getattr(attachment, "embed", None)
        if embedded is not None:
            _collect_embedded(attachment, embedded, content, depth=depth + 1)
            continue
        content.files.append(
            TnefFile(
                filename=_as_text(attachment.long_filename()),
                data=bytes(attachment.data or b""),
                content_type=_mapi_string(attachment.mapi_attrs, _MAPI_ATTACH_MIME_TAG)
                or "application/octet-stream",
                content_id=_mapi_string(attachment.mapi_attrs, _MAPI_ATTACH_CONTENT_ID),
            )
        )


def _collect_embedded(attachment, embedded: TNEF, content: TnefContent, *, depth: int) -> None:
    """An attached Outlook item: its text as a file named after its subject, then its files."""
    subject = _mapi_string(embedded.mapiprops, _MAPI_SUBJECT) or _mapi_string(
        embedded.mapiprops, _MAPI_CONVERSATION_TOPIC
    )
    text = _as_text(embedded.body)
    html = _as_text(embedded.htmlbody)
    name = subject or _as_text(attachment.long_filename()) or "Untitled Attachment"
    if html:
        content.files.append(TnefFile(f"{name}.html", html.encode(), "text/html"))
    elif text:
        content.files.append(TnefFile(f"{name}.txt", text.encode(), "text/plain"))
    if depth < _EMBEDDED_DEPTH:
        _collect(embedded, content, depth=depth)


def _mapi_string(attributes: list[TNEFMAPI_Attribute], name: int) -> str:
    for attribute in attributes:
        if attribute.name == name:
            return _as_text(attribute.data).strip()
    return ""


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, bytes):
        for codec in ("utf-8", "cp1252"):
            try:
                return value.decode(codec).strip("\x00")
            except UnicodeDecodeError:
                continue
        return value.decode("latin-1").strip("\x00")
    return str(value).strip("\x00")


# MS-OXRTFCP 2.1.2.1: the dictionary starts with this text at offset 0, writing at 207.
_RTF_PREBUF = (
    b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss "
    b"\\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier"
    b"{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx"
)
_COMPRESSED = 0x75465A4C  # "LZFu"
_UNCOMPRESSED = 0x414C454D  # "MELA"
_MAX_RTF_BYTES = 16 * 1024 * 1024


def decompress_rtf(data: bytes) -> bytes:
    """Decompress an RTF body stored as PidTagRtfCompressed (MS-OXRTFCP)."""
    if len(data) < 16:
        raise TnefError("compressed RTF shorter than its header")
    comp_size, raw_size, comp_type, _crc = struct.unpack_from("<IIII", data, 0)
    end = min(len(data), comp_size + 4)
    if comp_type == _UNCOMPRESSED:
        return data[16 : 16 + raw_size]
    if comp_type != _COMPRESSED:
        raise TnefError(f"unknown RTF compression {comp_type:#x}")
    raw_size = min(raw_size, _MAX_RTF_BYTES)
    window = bytearray(4096)
    window[: len(_RTF_PREBUF)] = _RTF_PREBUF
    write = len(_RTF_PREBUF)
    out = bytearray()
    pos = 16
    while pos < end and len(out) < raw_size:
        control = data[pos]
        pos += 1
        for bit in range(8):
            if pos >= end or len(out) >= raw_size:
                break
            if not control & (1 << bit):
                byte = data[pos]
                pos += 1
                out.append(byte)
                window[write] = byte
                write = (write + 1) & 0xFFF
                continue
            if pos + 1 >= end:
                return bytes(out)
            token = (data[pos] << 8) | data[pos + 1]
            pos += 2
            offset, length = token >> 4, (token & 0xF) + 2
            if offset == write:
                return bytes(out)
            for step in range(length):
                byte = window[(offset + step) & 0xFFF]
                out.append(byte)
                window[write] = byte
                write = (write + 1) & 0xFFF
    return bytes(out)
