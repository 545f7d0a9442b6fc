"""The pictures' colours, and the colour science that checks them (pure numpy, no VTK).

Anatomy and severity are kept apart: contact severities run along a colour-blind-safe
sequential scale (viridis' pale yellow, teal and deep indigo: they differ in lightness and on
the blue-yellow axis that every dichromat keeps), and the vessels take warm hues (red-orange,
rose, crimson, rust) and the vein blue, none of them a severity's hue. Legend and label text
is near-white on a near-black panel.

Colours are sRGB triples, 0-255. The checks:

- :func:`contrast_ratio`: WCAG 2.x contrast ratio of two colours (1 to 21).
- :func:`simulate_cvd`: the colour a dichromat sees (Machado, Oliveira & Fernandes 2009,
  severity 1 matrices, applied to linear RGB).
- :func:`to_lab` and :func:`delta_e`: CIELAB (D65) and the CIE76 colour difference.

References
----------
Machado GM, Oliveira MM, Fernandes LAF. A physiologically-based model for simulation of color
vision deficiency. IEEE Trans Vis Comput Graph 2009;15(6):1291-1298.
W3C. Web Content Accessibility Guidelines 2.1, "contrast ratio" and "relative luminance".
"""

from __future__ import annotations

import numpy as np

__all__ = ["RGB", "unit_rgb", "SEVERITY_COLORS", "VESSEL_COLORS", "NERVE_COLORS", "BRAINSTEM_COLOR",
           "CONTEXT_COLORS", "LESION_COLORS", "PAD_COLOR", "OUTLINE_COLOR", "BACKGROUND", "PANEL_COLOR",
           "TEXT_COLOR", "MIN_TEXT_CONTRAST", "MIN_SEVERITY_DELTA_E", "CVD_MATRICES",
           "linear_rgb", "relative_luminance", "contrast_ratio", "simulate_cvd", "to_lab",
           "delta_e"]


RGB = tuple[int, int, int]

#: Contact severity (viridis at 1.0, 0.55 and 0.1): mild, moderate, severe.
SEVERITY_COLORS: dict[str, RGB] = {"mild": (253, 231, 37), "moderate": (31, 158, 137),
                                   "severe": (72, 33, 115)}
#: Vessels by kind: warm hues for the arteries, blue for the vein.
VESSEL_COLORS: dict[str, RGB] = {"AICA": (232, 85, 45), "PICA": (226, 110, 180),
                                 "VA": (196, 30, 58), "BA": (170, 95, 55),
                                 "vein": (70, 110, 225)}
#: A vessel of a kind not listed above.
OTHER_VESSEL_COLOR: RGB = (205, 60, 70)
NERVE_COLORS: dict[str, RGB] = {"CN7": (245, 240, 205), "CN8": (200, 212, 188)}
BRAINSTEM_COLOR: RGB = (222, 196, 170)
#: The operative field by kind (``petrous``: the dura-covered bone round the porus).
CONTEXT_COLORS: dict[str, RGB] = {"petrous": (150, 165, 200), "CN9": (225, 215, 170),
                                  "CN10": (225, 215, 170), "CN11": (225, 215, 170),
                                  "flocculus": (215, 150, 100), "cerebellum": (200, 140, 130),
                                  "choroid_plexus": (165, 90, 120)}
#: Lesions by cause: an olive tumour, an orange aneurysm dome, a magenta AVM nidus; hues
#: apart from every vessel's, nerve's, severity's and context structure's.
LESION_COLORS: dict[str, RGB] = {"tumour": (120, 170, 70), "aneurysm": (255, 150, 0),
                                 "avm": (230, 40, 230)}
#: Teflon felt; the pads are drawn noise-modulated about this white.
PAD_COLOR: RGB = (246, 246, 240)
#: Outline of contact patches and pads.
OUTLINE_COLOR: RGB = (12, 12, 16)
BACKGROUND: RGB = (18, 18, 24)
#: Background of the legend, labels and other text panels.
PANEL_COLOR: RGB = (28, 28, 34)
TEXT_COLOR: RGB = (245, 245, 245)
#: WCAG AA for body text.
MIN_TEXT_CONTRAST = 4.5
#: Least CIE76 difference between two severity colours, for normal vision and each simulated
#: dichromacy (a difference of about 2.3 is just noticeable; 20 reads at a glance).
MIN_SEVERITY_DELTA_E = 20.0

#: Machado et al. 2009, severity 1.0, linear RGB -> linear RGB.
CVD_MATRICES: dict[str, np.ndarray] = {
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779],
                            [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}
_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                 [0.2126729, 0.7151522, 0.0721750],
                 [0.0193339, 0.1191920, 0.9503041]])
_WHITE_D65 = np.array([0.95047, 1.0, 1.08883])


def unit_rgb(rgb: RGB) -> tuple[float, float, float]:
    """A 0-255 colour as VTK and pyvista take it: three floats 0-1."""
    return tuple(c / 255 for c in rgb)


def linear_rgb(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) float in [0, 1]: linear-light RGB of sRGB colours ``rgb`` (..., 3) 0-255."""
    c = np.asarray(rgb, dtype=float) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _srgb(linear: np.ndarray) -> np.ndarray:
    """(..., 3) float 0-255: sRGB of linear RGB (clipped to [0, 1] first)."""
    c = np.clip(linear, 0.0, 1.0)
    return 255.0 * np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)


def relative_luminance(rgb: np.ndarray) -> np.ndarray:
    """(...,) float in [0, 1]: WCAG relative luminance of sRGB colours (..., 3) 0-255."""
    return linear_rgb(rgb) @ np.array([0.2126, 0.7152, 0.0722])


def contrast_ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """WCAG contrast ratio (1-21) of sRGB colours ``a`` and ``b`` (..., 3) 0-255.

    Examples
    --------
    >>> round(float(contrast_ratio((255, 255, 255), (0, 0, 0))), 2)
    21.0
    """
    la, lb = relative_luminance(a), relative_luminance(b)
    return (np.maximum(la, lb) + 0.05) / (np.minimum(la, lb) + 0.05)


def simulate_cvd(rgb: np.ndarray, kind: str) -> np.ndarray:
    """(..., 3) float 0-255: sRGB colours ``rgb`` (..., 3) as seen with a dichromacy
    (``"protanopia"``, ``"deuteranopia"`` or ``"tritanopia"``, :data:`CVD_MATRICES`)."""
    return _srgb(linear_rgb(rgb) @ CVD_MATRICES[kind].T)


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) float: CIELAB (D65 white) of sRGB colours ``rgb`` (..., 3) 0-255.

    Examples
    --------
    >>> (np.round(to_lab((255, 255, 255)), 3) + 0.0).tolist()   # + 0.0: no -0.0
    [100.0, 0.0, 0.0]
    """
    xyz = linear_rgb(rgb) @ _XYZ.T / _WHITE_D65
    eps, kappa = 216 / 24389, 24389 / 27
    f = np.where(xyz > eps, np.cbrt(xyz), (kappa * xyz + 16) / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]),
                     200 * (f[..., 1] - f[..., 2])], axis=-1)


def delta_e(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(...,) float: CIE76 colour difference (Euclidean distance in CIELAB) of sRGB colours."""
    return np.linalg.norm(to_lab(a) - to_lab(b), axis=-1)
