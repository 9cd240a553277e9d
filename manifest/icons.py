"""Read PNG files with the standard library and check the two Teams app icons.

Teams wants a 192×192 full-colour icon and a 32×32 outline icon that is white
on a transparent background. Only what those checks need is decoded: the IHDR
header of any PNG, and the pixels of a non-interlaced 8-bit RGBA image.
"""

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
COLOR_ICON_SIZE = 192
OUTLINE_ICON_SIZE = 32

# IHDR colour types (PNG specification, section 11.2.2).
GREYSCALE, TRUECOLOUR, INDEXED, GREYSCALE_ALPHA, TRUECOLOUR_ALPHA = 0, 2, 3, 4, 6
COLOUR_TYPE_NAMES = {
    GREYSCALE: "greyscale",
    TRUECOLOUR: "RGB",
    INDEXED: "indexed colour",
    GREYSCALE_ALPHA: "greyscale with alpha",
    TRUECOLOUR_ALPHA: "RGBA",
}
FULL_COLOUR_TYPES = (TRUECOLOUR, INDEXED, TRUECOLOUR_ALPHA)
WHITE = (255, 255, 255)


class PngError(ValueError):
    """The bytes are not a PNG file this module can read."""


@dataclass(frozen=True)
class PngHeader:
    """The fields of the IHDR chunk."""

    width: int
    height: int
    bit_depth: int
    colour_type: int
    interlace_method: int

    @property
    def colour_type_name(self) -> str:
        return COLOUR_TYPE_NAMES.get(self.colour_type, f"unknown colour type {self.colour_type}")


def read_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """Split a PNG file into (type, body) chunks up to IEND, checking the signature and every CRC."""
    if not data.startswith(PNG_SIGNATURE):
        raise PngError("the file does not start with the PNG signature")
    chunks: list[tuple[bytes, bytes]] = []
    offset = len(PNG_SIGNATURE)
    while True:
        if offset + 8 > len(data):
            raise PngError("the file ends before the IEND chunk")
        length, chunk_type = struct.unpack(">I4s", data[offset:offset + 8])
        body_start = offset + 8
        body_end = body_start + length
        if body_end + 4 > len(data):
            raise PngError(f"chunk {chunk_type!r} is truncated")
        body = data[body_start:body_end]
        (stored_crc,) = struct.unpack(">I", data[body_end:body_end + 4])
        if zlib.crc32(chunk_type + body) != stored_crc:
            raise PngError(f"chunk {chunk_type!r} has a bad CRC")
        chunks.append((chunk_type, body))
        offset = body_end + 4
        if chunk_type == b"IEND":
            return chunks


def read_header(data: bytes) -> PngHeader:
    """Parse the IHDR chunk, which the PNG specification requires to come first."""
    chunks = read_chunks(data)
    chunk_type, body = chunks[0]
    if chunk_type != b"IHDR" or len(body) != 13:
        raise PngError("the first chunk is not a 13-byte IHDR chunk")
    width, height, bit_depth, colour_type, _compression, _filter, interlace = struct.unpack(">IIBBBBB", body)
    return PngHeader(width, height, bit_depth, colour_type, interlace)


def decode_rgba_pixels(data: bytes) -> list[list[tuple[int, int, int, int]]]:
    """Decode a non-interlaced 8-bit RGBA PNG into rows of (red, green, blue, alpha) pixels."""
    header = read_header(data)
    if header.colour_type != TRUECOLOUR_ALPHA or header.bit_depth != 8:
        raise PngError(f"only 8-bit RGBA can be decoded, found {header.bit_depth}-bit {header.colour_type_name}")
    if header.interlace_method != 0:
        raise PngError("interlaced PNG files are not supported")

    bytes_per_pixel = 4
    stride = header.width * bytes_per_pixel
    expected_size = header.height * (stride + 1)
    compressed = b"".join(body for chunk_type, body in read_chunks(data) if chunk_type == b"IDAT")
    # The output is capped at the size the header implies, so a corrupt or hostile stream cannot exhaust memory.
    decompressor = zlib.decompressobj()
    try:
        raw = decompressor.decompress(compressed, expected_size + 1)
    except zlib.error as error:
        raise PngError(f"the image data cannot be decompressed: {error}") from error
    if len(raw) != expected_size:
        raise PngError(f"the image data is {len(raw)} bytes, but {header.width}×{header.height} RGBA needs {expected_size}")

    rows: list[list[tuple[int, int, int, int]]] = []
    previous = bytearray(stride)
    for y in range(header.height):
        start = y * (stride + 1)
        current = _unfilter(raw[start], bytearray(raw[start + 1:start + 1 + stride]), previous, bytes_per_pixel)
        rows.append([tuple(current[x:x + 4]) for x in range(0, stride, 4)])
        previous = current
    return rows


def _unfilter(filter_type: int, line: bytearray, previous: bytearray, bytes_per_pixel: int) -> bytearray:
    """Undo one scanline's filter (PNG specification, section 9.2), in place."""
    for i in range(len(line)):
        left = line[i - bytes_per_pixel] if i >= bytes_per_pixel else 0
        up = previous[i]
        up_left = previous[i - bytes_per_pixel] if i >= bytes_per_pixel else 0
        if filter_type == 0:
            predictor = 0
        elif filter_type == 1:
            predictor = left
        elif filter_type == 2:
            predictor = up
        elif filter_type == 3:
            predictor = (left + up) // 2
        elif filter_type == 4:
            predictor = _paeth(left, up, up_left)
        else:
            raise PngError(f"scanline filter type {filter_type} is invalid")
        line[i] = (line[i] + predictor) & 0xFF
    return line


def _paeth(left: int, up: int, up_left: int) -> int:
    estimate = left + up - up_left
    distance_left = abs(estimate - left)
    distance_up = abs(estimate - up)
    distance_up_left = abs(estimate - up_left)
    if distance_left <= distance_up and distance_left <= distance_up_left:
        return left
    if distance_up <= distance_up_left:
        return up
    return up_left


def check_color_icon(path: Path) -> list[str]:
    """Return the problems that keep `path` from being the 192×192 full-colour icon."""
    header, problems = _read_icon_header(path, "colour icon")
    if header is None:
        return problems
    if (header.width, header.height) != (COLOR_ICON_SIZE, COLOR_ICON_SIZE):
        problems.append(
            f"colour icon {path} is {header.width}×{header.height} pixels; Teams requires exactly {COLOR_ICON_SIZE}×{COLOR_ICON_SIZE}"
        )
    if header.colour_type not in FULL_COLOUR_TYPES:
        problems.append(f"colour icon {path} is {header.colour_type_name}; save it as a full-colour RGB or RGBA PNG")
    return problems


def check_outline_icon(path: Path) -> list[str]:
    """Return the problems that keep `path` from being the 32×32 white-on-transparent outline icon."""
    header, problems = _read_icon_header(path, "outline icon")
    if header is None:
        return problems
    if (header.width, header.height) != (OUTLINE_ICON_SIZE, OUTLINE_ICON_SIZE):
        problems.append(
            f"outline icon {path} is {header.width}×{header.height} pixels; Teams requires exactly {OUTLINE_ICON_SIZE}×{OUTLINE_ICON_SIZE}"
        )
        # The pixel check below assumes the small size, so a wrong size ends the check here.
        return problems
    if header.colour_type != TRUECOLOUR_ALPHA or header.bit_depth != 8 or header.interlace_method != 0:
        problems.append(
            f"outline icon {path} is a {header.bit_depth}-bit {header.colour_type_name} PNG"
            f"{' (interlaced)' if header.interlace_method else ''}; save it as a non-interlaced 8-bit RGBA PNG"
        )
        return problems
    try:
        rows = decode_rgba_pixels(path.read_bytes())
    except PngError as error:
        return [f"outline icon {path} cannot be read: {error}"]
    problems.extend(_outline_pixel_problems(path, rows))
    return problems


def _outline_pixel_problems(path: Path, rows: list[list[tuple[int, int, int, int]]]) -> list[str]:
    """Check that every visible pixel is white and that some pixels are fully transparent."""
    problems: list[str] = []
    coloured = [(x, y, pixel) for y, row in enumerate(rows) for x, pixel in enumerate(row) if pixel[3] > 0 and pixel[:3] != WHITE]
    transparent = sum(1 for row in rows for pixel in row if pixel[3] == 0)
    visible = sum(1 for row in rows for pixel in row if pixel[3] > 0)
    if coloured:
        x, y, (red, green, blue, alpha) = coloured[0]
        problems.append(
            f"outline icon {path} has {len(coloured)} pixels that are neither white nor transparent, "
            f"the first at ({x}, {y}) with colour #{red:02X}{green:02X}{blue:02X} and alpha {alpha}; "
            "draw the mark in white (#FFFFFF) on a transparent background"
        )
    if transparent == 0:
        problems.append(f"outline icon {path} has no transparent pixels; its background must be transparent")
    if visible == 0:
        problems.append(f"outline icon {path} is fully transparent; draw the mark in white")
    return problems


def _read_icon_header(path: Path, role: str) -> tuple[PngHeader | None, list[str]]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, [f"{role} {path} was not found"]
    except OSError as error:
        return None, [f"{role} {path} cannot be read: {error}"]
    try:
        return read_header(data), []
    except PngError as error:
        return None, [f"{role} {path} is not a valid PNG file: {error}"]
