"""Crafted files, built here in a moment: polyglots (a file type's first bytes followed by an executable), a
decompression-bomb picture, and ZIP bombs, among them a 1 MB Word document that inflates to 1 GiB.

A ZIP is written by hand (local headers, central directory, end record) so that an entry's deflated data can be
repeated rather than computed: deflating the same megabyte after the same megabyte gives the same bytes each time,
so 1 GiB of zeros costs one megabyte of compression (and a checksum over the gigabyte, under a second)."""

import os
import struct
import zlib
from dataclasses import dataclass

EXECUTABLE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"This program cannot be run in DOS mode.\r\n"
)
MEGABYTE = 1 << 20


def executable_tail(size: int = 4096) -> bytes:
    """What follows the magic bytes of a polyglot: a Windows executable's header, then random bytes."""
    return EXECUTABLE + os.urandom(size)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int, height: int, pixel_data: bytes | None = None) -> bytes:
    """A greyscale PNG of the declared size, with correct chunk checksums, whose picture data is `pixel_data`
    (deflated), by default a little of it (a small file that declares a huge picture)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = zlib.compress(pixel_data if pixel_data is not None else bytes(1024))
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")


@dataclass(frozen=True)
class Member:
    """An entry of a hand-made ZIP: its name, its data as stored (deflated or not), its uncompressed size and CRC."""

    name: str
    stored: bytes
    size: int
    crc: int
    method: int = 8  # 8: deflated, 0: stored


def deflated(name: str, content: bytes) -> Member:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return Member(name, compressor.compress(content) + compressor.flush(), len(content), zlib.crc32(content))


def repeated(name: str, piece: bytes, times: int) -> Member:
    """An entry whose content is `piece` `times` over, deflated once or twice and the rest repeated."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(piece) + compressor.flush(zlib.Z_SYNC_FLUSH)
    again = compressor.compress(piece) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert compressor.compress(piece) + compressor.flush(zlib.Z_SYNC_FLUSH) == again  # the trick holds
    crc = 0
    for _ in range(times):
        crc = zlib.crc32(piece, crc)
    return Member(name, first + again * (times - 1) + compressor.flush(), len(piece) * times, crc)


def zip_of(members: list[Member]) -> bytes:
    """A ZIP archive of `members` (sizes below 4 GiB: no ZIP64 needed)."""
    out, directory = bytearray(), bytearray()
    for member in members:
        name = member.name.encode()
        fields = (member.method, 0, 0x21, member.crc, len(member.stored), member.size, len(name), 0)
        directory += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, *fields[:7], 0, 0, 0, 0, 0, len(out))
        directory += name
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, *fields) + name + member.stored
    start = len(out)
    out += directory
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(directory), start, 0)
    return bytes(out)


def office(main_part: str, *extra: Member) -> bytes:
    """An Office document: its content types part, its main part and `extra` entries."""
    return zip_of([deflated("[Content_Types].xml", b"<Types/>"), deflated(main_part, b"<document/>"), *extra])


def docx_bomb() -> bytes:
    """A Word document of about 1 MB whose body inflates to 1 GiB of zeros."""
    return zip_of([deflated("[Content_Types].xml", b"<Types/>"), repeated("word/document.xml", bytes(MEGABYTE), 1024)])


def xlsx_shared_strings_bomb() -> bytes:
    """A workbook whose shared strings inflate to about 108 MB (the issue's worker went from 137 to 611 MB)."""
    strings = "".join(f"<si><t>铁岭市银州区测试企业{n:05d}有限公司</t></si>" for n in range(20_000)).encode()
    return office("xl/workbook.xml", repeated("xl/sharedStrings.xml", strings, -(-108_000_000 // len(strings))))
