"""Small real PDFs for tests, written by hand (no PDF library writes text pages)."""

from __future__ import annotations

import io
import zlib


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf_with_pages(pages: list[str], *, compress: bool = False) -> bytes:
    return pdf_with_streams(
        [f"BT /F1 12 Tf 72 720 Td ({_escaped(text)}) Tj ET".encode() for text in pages],
        compress=compress,
    )


def pdf_with_hidden_text(visible: str, white: str, invisible: str) -> bytes:
    """One page: `visible` in black, `white` in white fill, `invisible` in render mode 3."""
    return pdf_with_streams(
        [
            (
                f"BT /F1 12 Tf 72 720 Td ({_escaped(visible)}) Tj ET\n"
                f"q 1 1 1 rg BT /F1 12 Tf 72 700 Td ({_escaped(white)}) Tj ET Q\n"
                f"BT 3 Tr /F1 12 Tf 72 680 Td ({_escaped(invisible)}) Tj ET"
            ).encode()
        ]
    )


def pdf_with_white_text_on_a_dark_box(text: str) -> bytes:
    """One page: a dark blue box, `text` in white on it (a banner, a dark code block)."""
    return pdf_with_streams(
        [
            (
                "q 0.1 0.1 0.4 rg 60 690 400 40 re f Q\n"
                f"q 1 1 1 rg BT /F1 12 Tf 72 705 Td ({_escaped(text)}) Tj ET Q"
            ).encode()
        ]
    )


def pdf_with_streams(streams: list[bytes], *, compress: bool = False) -> bytes:
    pages = streams
    objects: list[bytes] = []
    page_ids = [3 + 2 * i for i in range(len(pages))]
    font_id = 3 + 2 * len(pages)
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{i} 0 R" for i in page_ids).encode()
    objects.append(
        b"<< /Type /Pages /Kids [" + kids + b"] /Count " + str(len(pages)).encode() + b" >>"
    )
    for index, stream in enumerate(pages):
        extra = b""
        if compress:
            stream, extra = zlib.compress(stream), b" /Filter /FlateDecode"
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents "
            + str(page_ids[index] + 1).encode()
            + b" 0 R /Resources << /Font << /F1 "
            + str(font_id).encode()
            + b" 0 R >> >> >>"
        )
        objects.append(
            b"<< /Length "
            + str(len(stream)).encode()
            + extra
            + b" >>\nstream\n"
            + stream
            + b"\nendstream"
        )
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def encrypted_pdf(pages: list[str]) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(pdf_with_pages(pages))).pages:
        writer.add_page(page)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_bomb(decompressed_mb: int = 1500) -> bytes:
    """One page whose content stream inflates to `decompressed_mb` of spaces."""
    compressor = zlib.compressobj(9)
    block = b" " * (1024 * 1024)
    parts = [compressor.compress(block) for _ in range(decompressed_mb)]
    stream = b"".join(parts) + compressor.flush()
    return (
        pdf_with_pages(["x"])
        .replace(b"/Length 41 >>", b"/Length %d /Filter /FlateDecode >>" % len(stream))
        .replace(b"BT /F1 12 Tf 72 720 Td (x) Tj ET", stream)
    )
