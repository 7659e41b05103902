#!/usr/bin/env python3
"""Render a `tmux capture-pane -e -p` dump (text with SGR colour escapes) to a PNG.

Usage: render.py INPUT.ansi OUTPUT.png

Handles the SGR codes tmux emits: reset, bold, dim, italic, underline, reverse, strikethrough,
the 8/16 colours, 256 colours (38;5;N / 48;5;N) and truecolour (38;2;R;G;B). Box-drawing
characters are drawn as lines so borders join up whatever the font's metrics.
"""
import re
import sys

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
SIZE = 16
BG = (24, 26, 33)
FG = (208, 212, 220)
# A calm palette for the 16 ANSI colours (normal, then bright).
PALETTE = [
    (40, 42, 54), (230, 90, 90), (120, 200, 120), (230, 190, 90),
    (100, 150, 240), (200, 120, 220), (90, 200, 220), (200, 204, 212),
    (110, 114, 128), (255, 120, 120), (150, 230, 150), (250, 220, 120),
    (140, 180, 255), (230, 150, 250), (130, 230, 245), (245, 246, 250),
]


def color256(n):
    if n < 16:
        return PALETTE[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return (v, v, v)


class Style:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None
        self.bg = None
        self.bold = False
        self.dim = False
        self.reverse = False
        self.underline = False
        self.strike = False

    def copy(self):
        s = Style()
        s.__dict__.update(self.__dict__)
        return s

    def apply(self, params):
        codes = [int(p) if p else 0 for p in params.split(";")] if params else [0]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                self.reset()
            elif c == 1:
                self.bold = True
            elif c == 2:
                self.dim = True
            elif c == 4:
                self.underline = True
            elif c == 7:
                self.reverse = True
            elif c == 9:
                self.strike = True
            elif c == 22:
                self.bold = self.dim = False
            elif c == 24:
                self.underline = False
            elif c == 27:
                self.reverse = False
            elif c == 29:
                self.strike = False
            elif 30 <= c <= 37:
                self.fg = PALETTE[c - 30]
            elif 90 <= c <= 97:
                self.fg = PALETTE[c - 90 + 8]
            elif 40 <= c <= 47:
                self.bg = PALETTE[c - 40]
            elif 100 <= c <= 107:
                self.bg = PALETTE[c - 100 + 8]
            elif c == 39:
                self.fg = None
            elif c == 49:
                self.bg = None
            elif c in (38, 48) and i + 1 < len(codes):
                if codes[i + 1] == 5 and i + 2 < len(codes):
                    col = color256(codes[i + 2])
                    i += 2
                elif codes[i + 1] == 2 and i + 4 < len(codes):
                    col = tuple(codes[i + 2:i + 5])
                    i += 4
                else:
                    col = None
                if c == 38:
                    self.fg = col
                else:
                    self.bg = col
            i += 1


SGR = re.compile(r"\x1b\[([0-9;]*)m")


def parse(text):
    rows = []
    style = Style()
    for line in text.split("\n"):
        cells = []
        pos = 0
        for m in SGR.finditer(line):
            for ch in line[pos:m.start()]:
                cells.append((ch, style.copy()))
            style.apply(m.group(1))
            pos = m.end()
        for ch in line[pos:]:
            cells.append((ch, style.copy()))
        rows.append(cells)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def draw_box(d, ch, x, y, w, h, color):
    """Draw box-drawing characters as lines so they join exactly."""
    cx, cy = x + w // 2, y + h // 2
    heavy = ch in "┏┓┗┛━┃┣┫┳┻╋"
    t = 2 if heavy else 1
    left = ch in "─━┐┓┘┛┤┫┬┳┴┻┼╋"
    right = ch in "─━┌┏└┗├┣┬┳┴┻┼╋"
    up = ch in "│┃└┗┘┛├┣┤┫┴┻┼╋"
    down = ch in "│┃┌┏┐┓├┣┤┫┬┳┼╋"
    if left:
        d.rectangle([x, cy, cx, cy + t - 1], fill=color)
    if right:
        d.rectangle([cx, cy, x + w, cy + t - 1], fill=color)
    if up:
        d.rectangle([cx, y, cx + t - 1, cy], fill=color)
    if down:
        d.rectangle([cx, cy, cx + t - 1, y + h], fill=color)
    return left or right or up or down


def render(rows, out):
    font = ImageFont.truetype(FONT, SIZE)
    bold = ImageFont.truetype(FONT_BOLD, SIZE)
    box = font.getbbox("M")
    cw = round(font.getlength("M"))
    ch_ = SIZE + 5
    width = max(len(r) for r in rows) if rows else 80
    pad = 12
    img = Image.new("RGB", (width * cw + 2 * pad, len(rows) * ch_ + 2 * pad), BG)
    d = ImageDraw.Draw(img)
    for r, cells in enumerate(rows):
        for c, (char, st) in enumerate(cells):
            x, y = pad + c * cw, pad + r * ch_
            fg, bg = st.fg or FG, st.bg
            if st.reverse:
                fg, bg = (bg or BG), (st.fg or FG)
            if st.dim and not st.fg:
                fg = (130, 134, 146)
            if bg:
                d.rectangle([x, y, x + cw, y + ch_], fill=bg)
            if char == " ":
                continue
            if draw_box(d, char, x, y, cw, ch_, fg):
                continue
            d.text((x, y + (ch_ - SIZE) // 2 - box[1] // 2), char, font=bold if st.bold else font, fill=fg)
            if st.underline:
                d.line([x, y + ch_ - 2, x + cw, y + ch_ - 2], fill=fg)
            if st.strike:
                d.line([x, y + ch_ // 2, x + cw, y + ch_ // 2], fill=fg)
    img.save(out)


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
        render(parse(f.read()), sys.argv[2])
