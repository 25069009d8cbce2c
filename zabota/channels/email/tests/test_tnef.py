"""TNEF (winmail.dat): files and bodies out of MimeKit's 19 sample streams."""

from pathlib import Path

import pytest
from django.conf import settings

from zabota.channels.email import tnef

TNEF_DIR = Path(settings.BASE_DIR).parent / "shared" / "corpora" / "mimekit" / "tnef"
STREAMS = sorted(TNEF_DIR.glob("*.tnef"))
# MimeKit's lists name the body it extracted as a file, and files without a name by a
# placeholder; those are compared separately from the named files.
BODY_NAMES = {"body.rtf", "body.html"}
UNNAMED = {"Untitled Attachment", "Untitled_Attachment"}


def test_the_corpus_has_the_tnef_samples():
    """The shared corpus is where the tests expect it (19 streams with expected lists)."""
    assert len(STREAMS) == 19


@pytest.mark.parametrize("path", STREAMS, ids=[p.stem for p in STREAMS])
def test_extract_recovers_the_expected_files(path):
    """Every named file MimeKit recovers from a stream is recovered, and an RTF or HTML body
    is found where MimeKit found one."""
    # given
    expected = [line for line in path.with_suffix(".list").read_text().splitlines() if line]

    # when
    content = tnef.extract(path.read_bytes())

    # then
    names = {found.filename for found in content.files}
    named = {name for name in expected if name not in BODY_NAMES | UNNAMED}
    assert named <= names
    if "body.rtf" in expected:
        assert content.rtf.startswith(b"{\\rtf1")
    if "body.html" in expected:
        assert "<html" in content.html.lower()


def test_extract_reads_file_contents():
    """The files carry their data: two-files.tnef holds AUTHORS and README as text."""
    # when
    content = tnef.extract((TNEF_DIR / "two-files.tnef").read_bytes())

    # then
    files = {found.filename: found.data for found in content.files}
    assert set(files) == {"AUTHORS", "README"}
    assert len(files["AUTHORS"]) == 244
    assert len(files["README"]) == 893


def test_extract_keeps_content_ids_of_inline_images():
    """Images referenced from the HTML body keep their Content-ID and MIME type."""
    # when
    content = tnef.extract((TNEF_DIR / "panic.tnef").read_bytes())

    # then
    image = next(found for found in content.files if found.filename == "image001.jpg")
    assert image.content_type == "image/jpeg"
    assert image.content_id.startswith("image001.jpg@")
    assert "cid:image001.jpg@" in content.html


def test_extract_turns_embedded_outlook_items_into_files():
    """An attached Outlook item becomes a text file named after its subject, plus its files."""
    # when
    content = tnef.extract((TNEF_DIR / "christmas.tnef").read_bytes())

    # then
    names = [found.filename for found in content.files]
    assert "Christmas Celebration!.txt" in names
    assert names.count("kitten-playing-with-a-christmas-tree.jpg") == 2


@pytest.mark.parametrize(
    "data", [b"", b"not tnef at all", b"\x78\x9f\x3e"], ids=["empty", "text", "cut-signature"]
)
def test_extract_rejects_what_is_not_tnef(data):
    """Bytes that are not a TNEF stream raise TnefError, which the parser turns into a defect."""
    with pytest.raises(tnef.TnefError):
        tnef.extract(data)


def test_decompress_rtf_handles_the_uncompressed_form():
    """MS-OXRTFCP's "MELA" form stores the RTF as is after the header."""
    # given
    rtf = b"{\\rtf1 hello}"
    sizes = (len(rtf) + 12).to_bytes(4, "little") + len(rtf).to_bytes(4, "little")
    data = sizes + b"MELA" + b"\x00\x00\x00\x00" + rtf

    # when
    result = tnef.decompress_rtf(data)

    # then
    assert result == rtf


def test_decompress_rtf_matches_the_specification_example():
    """The worked example of MS-OXRTFCP section 3.1.1 decompresses to its text."""
    # given
    data = bytes.fromhex(
        "2d0000002b0000004c5a4675f1c5c7a703000a0072637067313235"
        "42320af32068656c090020627705b06c647d0a800fa0"
    )

    # when
    result = tnef.decompress_rtf(data)

    # then
    assert result == b"{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n"
