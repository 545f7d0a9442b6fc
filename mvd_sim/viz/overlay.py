"""What is drawn over a rendered picture, in pixels (Pillow, no VTK): the microscope's
circular field and depth cue, labels placed without overlap with leader lines, the legend,
a scale bar and an orientation triad.

Pixels are (column, row) from the top left corner; boxes ``(left, top, right, bottom)``,
right and bottom exclusive. The depth image holds each pixel's distance from the eye (mm,
NaN where nothing is drawn).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mvd_sim.viz.actors import Label, LegendEntry
from mvd_sim.viz.camera import Camera, pixels_per_mm, project
from mvd_sim.viz.palette import BACKGROUND, PANEL_COLOR, RGB, TEXT_COLOR

__all__ = ["Box", "PlacedLabel", "LegendLayout", "Annotation", "FOG_MM", "microscope",
           "place_labels", "annotate", "legend_image", "overlaps", "font_px"]

Box = tuple[int, int, int, int]
#: Depth (mm) beyond the focus over which the picture darkens to 1/e (the depth cue).
FOG_MM = 14.0
#: Outside the microscope's field the picture is this fraction of the background.
VIGNETTE_LEVEL = 0.35
#: How far (mm) beyond its structure's radius behind the surface drawn an anchor may lie
#: and still count as seen.
VISIBLE_SLACK_MM = 0.5
_PAD = 4          # pixels of panel round a text
_GAP = 3          # pixels kept between boxes


def font_px(height: int) -> int:
    """Text height (pixels) for a picture ``height`` pixels high."""
    return max(11, round(height / 48))


def _font(px: int):
    from PIL import ImageFont

    return ImageFont.load_default(size=px)


@dataclass(frozen=True)
class PlacedLabel:
    """A label as drawn: its text, the pixel it points at and its box."""

    text: str
    kind: str
    anchor_px: tuple[float, float]
    box: Box


@dataclass(frozen=True)
class LegendLayout:
    """The legend as drawn: its panel, and each entry's text box, swatch box and colour."""

    panel: Box
    entries: tuple[tuple[str, Box, Box, RGB], ...]


@dataclass(frozen=True)
class Annotation:
    """Everything drawn over a picture, in pixels (for checks and for the caller)."""

    labels: tuple[PlacedLabel, ...]
    legend: LegendLayout | None
    reserved: tuple[Box, ...]


def overlaps(a: Box, b: Box, gap: int = 0) -> bool:
    """Whether two boxes overlap (or come within ``gap`` pixels)."""
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap


def microscope(image: np.ndarray, depth: np.ndarray, camera: Camera,
               clear: np.ndarray | None = None) -> np.ndarray:
    """The microscope's look: beyond the focus the picture darkens toward the background
    (``exp(-d / FOG_MM)`` at ``d`` mm beyond it; not where ``clear`` (h, w) bool, the
    contact patches drawn on top), and outside the circular field (the picture's
    height across) it falls to ``VIGNETTE_LEVEL`` of the background, with a soft rim."""
    h, w = image.shape[:2]
    out = image.astype(float)
    background = np.asarray(BACKGROUND, float)
    beyond = np.nan_to_num(depth - camera.distance_mm, nan=0.0)
    fog = np.exp(-np.clip(beyond, 0.0, None) / FOG_MM)
    if clear is not None:
        fog[clear] = 1.0
    fog = fog[..., None]
    out = background + (out - background) * fog
    rows, cols = np.mgrid[0:h, 0:w]
    radius = np.hypot(rows - (h - 1) / 2, cols - (w - 1) / 2) / (0.5 * min(h, w))
    inside = np.clip((1.0 - radius) / 0.015, 0.0, 1.0)[..., None]
    out = out * inside + VIGNETTE_LEVEL * background * (1.0 - inside)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def _seen_anchor(label: Label, camera: Camera, depth: np.ndarray, field: float | None
                 ) -> tuple[float, float] | None:
    """A pixel where the camera sees the structure at the first of a label's anchors that
    it sees, inside the picture (and the field): within the structure's projected radius of
    the anchor, a pixel whose surface is no nearer than the anchor's structure's near side
    (less :data:`VISIBLE_SLACK_MM`). None when no anchor is seen (a landmark's or a nerve's
    first anchor inside instead: CN VII is labelled where CN VIII hides it)."""
    h, w = depth.shape
    per_mm = pixels_per_mm(camera, (w, h))
    inside = None
    for (col, row, d), radius in zip(project(label.anchors, camera, (w, h)), label.radii):
        if not (0 <= col < w and 0 <= row < h):
            continue
        if field is not None and np.hypot(col - w / 2, row - h / 2) > field:
            continue
        if label.kind == "landmark":
            return float(col), float(row)
        inside = (float(col), float(row)) if inside is None else inside
        reach = max(1, int(radius * per_mm))
        r0, c0 = max(0, int(row) - reach), max(0, int(col) - reach)
        patch = depth[r0:int(row) + reach + 1, c0:int(col) + reach + 1]
        rows, cols = np.nonzero(np.nan_to_num(patch, nan=-np.inf)
                                >= d - radius - VISIBLE_SLACK_MM)
        if len(rows):
            k = np.argmin(np.hypot(rows + r0 - row, cols + c0 - col))
            return float(cols[k] + c0), float(rows[k] + r0)
    return inside if label.kind == "nerve" else None


def place_labels(anchors: list[tuple[float, float]], sizes: list[tuple[int, int]],
                 bounds: tuple[int, int], reserved: list[Box]) -> list[Box | None]:
    """Boxes for labels of ``sizes`` (w, h) pixels beside ``anchors`` (col, row), in
    priority order, none overlapping another, a reserved box or another label's anchor, all
    inside ``bounds`` (width, height). Each is tried at growing distances round its anchor
    (8 directions); a label with no free place gets None.
    """
    placed: list[Box] = []
    out: list[Box | None] = []
    dots = [(int(c) - 4, int(r) - 4, int(c) + 5, int(r) + 5) for c, r in anchors]
    directions = [(1, -1), (-1, -1), (1, 1), (-1, 1), (1, 0), (-1, 0), (0, -1), (0, 1)]
    for k, ((col, row), (bw, bh)) in enumerate(zip(anchors, sizes)):
        choice = None
        for distance in (14, 28, 48, 72, 100, 140, 190, 250):
            for dx, dy in directions:
                cx, cy = col + dx * distance, row + dy * distance * 0.7
                left = int(cx - (0 if dx > 0 else bw if dx < 0 else bw / 2))
                top = int(cy - (0 if dy > 0 else bh if dy < 0 else bh / 2))
                box = (left, top, left + bw, top + bh)
                if box[0] < 0 or box[1] < 0 or box[2] > bounds[0] or box[3] > bounds[1]:
                    continue
                others = placed + list(reserved) + dots[:k] + dots[k + 1:]
                if not any(overlaps(box, o, _GAP) for o in others):
                    choice = box
                    break
            if choice is not None:
                break
        out.append(choice)
        if choice is not None:
            placed.append(choice)
    return out


def _nearest_on_box(point: tuple[float, float], box: Box) -> tuple[float, float]:
    return (min(max(point[0], box[0]), box[2] - 1), min(max(point[1], box[1]), box[3] - 1))


def _legend(draw, font, entries: list[LegendEntry], right: int, bottom: int, px: int
            ) -> LegendLayout:
    swatch, line = px, int(px * 1.45)
    width = max(int(draw.textlength(e.text, font=font)) for e in entries) + swatch + 4 * _PAD
    height = line * len(entries) + 2 * _PAD
    panel = (right - width, bottom - height, right, bottom)
    draw.rectangle([panel[0], panel[1], panel[2] - 1, panel[3] - 1], fill=PANEL_COLOR)
    rows = []
    for k, entry in enumerate(entries):
        top = panel[1] + _PAD + k * line
        sw = (panel[0] + 2 * _PAD, top + (line - swatch) // 2,
              panel[0] + 2 * _PAD + swatch, top + (line + swatch) // 2)
        draw.rectangle([sw[0], sw[1], sw[2] - 1, sw[3] - 1], fill=entry.color,
                       outline=(235, 235, 235))
        x = sw[2] + 2 * _PAD
        left, t, r, b = draw.textbbox((x, top + (line - px) // 2), entry.text, font=font)
        draw.text((x, top + (line - px) // 2), entry.text, font=font, fill=TEXT_COLOR)
        rows.append((entry.text, (left, t, r, b), sw, entry.color))
    return LegendLayout(panel, tuple(rows))


def legend_image(entries: list[LegendEntry], height: int = 900) -> np.ndarray:
    """(h, w, 3) uint8: the legend alone, as :func:`annotate` draws it in a picture
    ``height`` pixels high (for the interactive viewer)."""
    from PIL import Image, ImageDraw

    px = font_px(height)
    font = _font(px)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    width = max(int(probe.textlength(e.text, font=font)) for e in entries) + px + 4 * _PAD
    size = (width, int(px * 1.45) * len(entries) + 2 * _PAD)
    canvas = Image.new("RGB", size, PANEL_COLOR)
    _legend(ImageDraw.Draw(canvas), font, entries, size[0], size[1], px)
    return np.asarray(canvas)


def _scale_bar(draw, font, camera: Camera, size: tuple[int, int], px: int) -> Box:
    """A bar of 1, 2, 5 or 10 mm at the focus (the longest under a sixth of the width),
    lower left."""
    per_mm = pixels_per_mm(camera, size)
    mm = max((m for m in (1, 2, 5, 10) if m * per_mm <= size[0] / 6), default=1)
    left, base = 2 * px, size[1] - 2 * px
    length = int(round(mm * per_mm))
    text = f"{mm} mm"
    right = max(left + length, left + int(draw.textlength(text, font=font)))
    box = (left - _PAD, base - 8 - px - _PAD, right + _PAD, base + _PAD)
    draw.rectangle([box[0], box[1], box[2] - 1, box[3] - 1], fill=PANEL_COLOR + (200,))
    draw.rectangle([left, base - 4, left + length, base], fill=TEXT_COLOR)
    draw.text((left, base - 8 - px), text, font=font, fill=TEXT_COLOR)
    return box


def _triad(draw, font, camera: Camera, axes: dict[str, np.ndarray], size: tuple[int, int],
           px: int) -> Box:
    """Arrows for the patient's directions as projected into the picture, upper right (an
    arrow short where the direction points along the view; a ring with a dot where it points
    at the eye, with a cross where away)."""
    forward, right, up = camera.basis()
    arm = 3 * px
    centre = (size[0] - 3.5 * px - arm, 2.5 * px + arm)
    box = [centre[0] - arm - 3 * px, centre[1] - arm - px, centre[0] + arm + 3 * px,
           centre[1] + arm + px]
    draw.rectangle(box, fill=PANEL_COLOR + (200,))
    for name, direction in axes.items():
        dx, dy = float(direction @ right), -float(direction @ up)
        end = (centre[0] + arm * dx, centre[1] + arm * dy)
        draw.line([centre, end], fill=TEXT_COLOR, width=2)
        length = np.hypot(dx, dy)
        if length > 0.15:
            ux, uy = dx / length, dy / length
            head = [(end[0] + 6 * ux, end[1] + 6 * uy),
                    (end[0] - 4 * uy, end[1] + 4 * ux), (end[0] + 4 * uy, end[1] - 4 * ux)]
            draw.polygon(head, fill=TEXT_COLOR)
        else:   # along the view: a dot (toward the eye) or a cross (away) in a ring
            ring = [centre[0] - 6, centre[1] - 6, centre[0] + 6, centre[1] + 6]
            draw.ellipse(ring, outline=TEXT_COLOR, width=2)
            if float(direction @ forward) < 0:
                draw.ellipse([centre[0] - 2, centre[1] - 2, centre[0] + 2, centre[1] + 2],
                             fill=TEXT_COLOR)
            else:
                draw.line([ring[0] + 2, ring[1] + 2, ring[2] - 2, ring[3] - 2],
                          fill=TEXT_COLOR, width=2)
                draw.line([ring[0] + 2, ring[3] - 2, ring[2] - 2, ring[1] + 2],
                          fill=TEXT_COLOR, width=2)
            ux, uy = -0.7, 0.7          # its name below left of the ring
        half = draw.textlength(name, font=font) / 2     # text centred beyond the head
        tx = end[0] + ux * (0.5 * px + half) - half
        ty = end[1] + uy * 1.0 * px - px / 2
        draw.text((tx, ty), name, font=font, fill=TEXT_COLOR)
    return tuple(int(v) for v in box)


def annotate(image: np.ndarray, depth: np.ndarray, camera: Camera, labels: list[Label],
             legend: list[LegendEntry] | None, title: str | None,
             axes: dict[str, np.ndarray]) -> tuple[np.ndarray, Annotation]:
    """Draw the title (upper left), the triad (upper right), the scale bar (lower left),
    the legend (lower right) and the labels over ``image`` (h, w, 3) uint8.

    Parameters
    ----------
    depth : (h, w) float, mm
        Distance from the eye of the surface each pixel shows (NaN: none): a label points
        at an anchor the camera sees.
    axes : dict of name -> (3,) unit direction
        The triad's patient directions (scene frame).

    Returns
    -------
    image : (h, w, 3) uint8
    annotation : Annotation
    """
    from PIL import Image, ImageDraw

    h, w = image.shape[:2]
    px = font_px(h)
    font = _font(px)
    canvas = Image.fromarray(image)
    draw = ImageDraw.Draw(canvas, "RGBA")
    reserved: list[Box] = []
    if title:
        bbox = draw.textbbox((px, px), title, font=font)
        draw.text((px, px), title, font=font, fill=TEXT_COLOR)
        reserved.append((bbox[0] - _PAD, bbox[1] - _PAD, bbox[2] + _PAD, bbox[3] + _PAD))
    reserved.append(_triad(draw, font, camera, axes, (w, h), px))
    reserved.append(_scale_bar(draw, font, camera, (w, h), px))
    layout = None
    if legend:
        layout = _legend(draw, font, legend, w - px, h - px, px)
        reserved.append(layout.panel)
    field = 0.5 * min(h, w) if camera.operative else None
    shown = [(label, _seen_anchor(label, camera, depth, field)) for label in labels]
    shown = [(label, anchor) for label, anchor in shown if anchor is not None]
    sizes = []
    for label, _ in shown:
        box = draw.textbbox((0, 0), label.text, font=font)
        sizes.append((box[2] - box[0] + 2 * _PAD, box[3] - box[1] + 2 * _PAD))
    boxes = place_labels([a for _, a in shown], sizes, (w, h), reserved)
    placed = []
    for (label, anchor), box in zip(shown, boxes):
        if box is None:
            continue
        draw.line([anchor, _nearest_on_box(anchor, box)], fill=(235, 235, 235, 255), width=1)
        draw.ellipse([anchor[0] - 3, anchor[1] - 3, anchor[0] + 3, anchor[1] + 3],
                     fill=label.color, outline=(10, 10, 10))
        draw.rectangle([box[0], box[1], box[2] - 1, box[3] - 1], fill=PANEL_COLOR + (235,))
        origin = draw.textbbox((0, 0), label.text, font=font)
        draw.text((box[0] + _PAD - origin[0], box[1] + _PAD - origin[1]), label.text,
                  font=font, fill=TEXT_COLOR)
        placed.append(PlacedLabel(label.text, label.kind, anchor, box))
    return np.asarray(canvas.convert("RGB")), Annotation(tuple(placed), layout,
                                                         tuple(reserved))
