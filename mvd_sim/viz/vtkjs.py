"""The vtk.js library, as installed with trame-vtk, ready to inline into an HTML page.

trame-vtk ships vtk.js's offline scene viewer (``trame_vtk/tools/static_viewer.html``, the
page behind ``vtksz2html``): one ES module of about 1 MB holding vtk.js's WebGL renderer, its
trackball interaction, its zip reader and the synchronizable render window that rebuilds a
serialized VTK scene (:mod:`mvd_sim.viz.webscene`). It exposes ``window.OfflineLocalView``
(``load(container, {base64Str})``) and, once a scene is loaded, ``global.renderWindow``.

The module is read from the installed package (nothing is downloaded) and changed in one
place: at load it adds five ``<link rel="icon">`` pointing at kitware.github.io, a request to
another host; they point at an empty ``data:`` URL instead, so the page makes no request.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from mvd_sim.core.errors import MvdSimError

__all__ = ["VIEWER_PAGE", "FAVICON_URL", "vtkjs_module"]

#: The offline viewer page shipped by trame-vtk, relative to the ``trame_vtk`` package.
VIEWER_PAGE = Path("tools") / "static_viewer.html"
#: The icon address the viewer adds to the page's head (a template literal in its source).
FAVICON_URL = "https://kitware.github.io/vtk-js/icon/favicon-${t}x${t}.png"
_MODULE = re.compile(r'<script type="module">(.*)</script>', re.S)


def _viewer_page() -> Path:
    try:
        import trame_vtk
    except ImportError:
        raise MvdSimError("the interactive 3D scene needs trame-vtk (pip install trame-vtk), "
                          "which ships vtk.js") from None
    return Path(trame_vtk.__file__).parent / VIEWER_PAGE


@functools.lru_cache(maxsize=1)
def vtkjs_module() -> str:
    """The vtk.js offline viewer's ES module source, safe to place inside
    ``<script type="module">...</script>`` and making no network request.

    Raises
    ------
    MvdSimError
        One line naming the file, if the installed trame-vtk no longer ships the viewer in
        the shape read here (a single module script with the icon links).
    """
    page = _viewer_page()
    try:
        text = page.read_text(encoding="utf-8")
    except OSError as err:
        raise MvdSimError(f"{page}: cannot read vtk.js: {err.strerror or err}") from None
    found = _MODULE.findall(text)
    if len(found) != 1 or found[0].count(FAVICON_URL) != 1:
        raise MvdSimError(f"{page}: not the vtk.js offline viewer this mvd-sim reads (one "
                          "module script adding the vtk.js icons); check the trame-vtk pin")
    module = found[0].replace(FAVICON_URL, "data:,")
    return module.replace("</script", "<\\/script")
