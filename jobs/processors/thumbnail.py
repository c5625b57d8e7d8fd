"""Thumbnail generation, offline: a PNG made with Pillow.

A vertical gradient in the project's style colours with the title (or the `text`
parameter) centred on it, wrapped to fit."""

import io
import textwrap
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from jobs.models import Project
from jobs.processors.base import JobSpec, Progress, save_file

S = Project.Style
# (top colour, bottom colour) of the gradient per style.
PALETTES: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    S.CINEMATIC: ((18, 18, 38), (160, 82, 45)),
    S.ANIME: ((255, 120, 170), (70, 90, 220)),
    S.DOCUMENTARY: ((40, 60, 40), (190, 180, 140)),
    S.CARTOON: ((255, 210, 60), (60, 190, 250)),
    S.PHOTOREALISTIC: ((30, 30, 30), (120, 140, 160)),
}


def render(*, width: int, height: int, text: str, style: str) -> bytes:
    top, bottom = PALETTES.get(style, PALETTES[S.CINEMATIC])
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        share = y / max(height - 1, 1)
        colour = tuple(round(a + (b - a) * share) for a, b in zip(top, bottom, strict=True))
        draw.line([(0, y), (width, y)], fill=colour)
    size = max(12, height // 10)
    font = ImageFont.load_default(size=size)
    lines = textwrap.wrap(text, max(8, int(width * 1.6 / size))) or [""]
    block = "\n".join(lines[:3])
    left, top_edge, right, bottom_edge = draw.multiline_textbbox((0, 0), block, font=font)
    position = ((width - (right - left)) / 2, (height - (bottom_edge - top_edge)) / 2)
    draw.multiline_text(
        position,
        block,
        font=font,
        fill=(255, 255, 255),
        align="center",
        stroke_width=max(1, size // 15),
        stroke_fill=(0, 0, 0),
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class ThumbnailProcessor:
    def process(self, job: JobSpec, progress: Progress) -> dict[str, Any]:
        width = job.parameters.get("width", 1280)
        height = job.parameters.get("height", 720)
        progress(10)
        png = render(
            width=width,
            height=height,
            text=job.parameters.get("text") or job.title,
            style=job.style,
        )
        progress(70)
        thumbnail = save_file(job, "thumbnail.png", png, "image/png")
        progress(100)
        return {"thumbnail": thumbnail, "width": width, "height": height}
