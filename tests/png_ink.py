#!/usr/bin/env python3
"""png_ink.py FILE.png [COLOUR:MIN ...] -- is a rendered plot really drawn?

Decodes the PNG (8-bit RGB or RGBA, as rsvg-convert writes; the standard
library only), counts the pixels that are not background (white or
transparent) and, for each COLOUR:MIN (hex RGB), the pixels within 40 of
that colour.  Prints the counts; exit 1 if fewer than 2% of the pixels are
ink or a colour has fewer than MIN pixels (an empty or blank plot)."""
import struct
import sys
import zlib


def pixels(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"png_ink: {path}: not a PNG file")
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                sys.exit(f"png_ink: {path}: depth {depth} type {ctype}: not 8-bit RGB(A)")
            bpp = 4 if ctype == 6 else 3
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride, prev, rows = zlib.decompress(idat), w * bpp, bytearray(w * bpp), []
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    for line in rows:
        for x in range(w):
            px = line[x * bpp:x * bpp + bpp]
            yield (px[0], px[1], px[2], px[3] if bpp == 4 else 255)


def main():
    path, wants = sys.argv[1], [a.split(":") for a in sys.argv[2:]]
    cols = [(tuple(int(c[i:i + 2], 16) for i in (0, 2, 4)), int(m)) for c, m in wants]
    total = ink = 0
    hits = [0] * len(cols)
    for r, g, b, a in pixels(path):
        total += 1
        if a < 16 or (r > 245 and g > 245 and b > 245):
            continue
        ink += 1
        for k, ((cr, cg, cb), _) in enumerate(cols):
            if abs(r - cr) + abs(g - cg) + abs(b - cb) <= 40:
                hits[k] += 1
    print(f"png_ink: {path}: {total} pixels, {ink} ink, colours {hits}")
    ok = ink >= 0.02 * total and all(h >= m for h, (_, m) in zip(hits, cols))
    sys.exit(0 if ok else 1)


main()
