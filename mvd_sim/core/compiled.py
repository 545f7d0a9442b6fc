"""The one way this package compiles its kernels with numba: one declared signature each,
compiled on first use, cached on disk under a key of every kernel's source.

Signatures
----------
``@compiled(*argtypes)`` declares the numba type of each argument (:func:`array`,
:data:`FLOAT`, :data:`INT`, :data:`BOOL`, :data:`VEC3`, or a tuple of them). An array a
kernel only reads is declared read-only, so one compiled version takes writable and
read-only arrays alike (numba would otherwise compile a version for each, and for each
layout: up to four of the same kernel). The signature is compiled on the kernel's first call,
from Python or from another kernel (so a program compiles only the kernels it uses), or
by :func:`warm_up` (before a command's work the CLI warms up the kernels of the
package areas the command uses, :attr:`Kernel.group`; ``mvd-sim warmup`` all of them);
from then on an argument of another type is converted to the declared
one where numba can do so safely (a C-contiguous array to any layout, a writable one to
read-only, an int to a float), else refused with numba's ``TypeError``.

Cache
-----
numba keys a cached function on its own file's content, so a kernel whose callee in another
file changed would keep its stale machine code. Here every kernel is cached in
``<root>/<key[:16]>/``, ``key`` a SHA-256 of every file of the package that defines
kernels (found by their ``@compiled`` lines; a kernel may read globals only from such
files) and of the compiler (numba, llvmlite, numpy, Python, the CPU numba compiles for):
any edit starts a new folder. The root is ``$MVD_SIM_CACHE_DIR``, else the user's cache
folder (``~/.cache/mvd-sim`` on Linux). Where that folder cannot be written, kernels are
compiled in memory in every process (:attr:`KernelCache.problem` says why). This
changes nothing of numba's configuration for other code in the process.
"""

from __future__ import annotations

import inspect
import math
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from hashlib import sha256
from pathlib import Path

import llvmlite
import numba
import numpy as np
import platformdirs
from numba.core import types
from numba.core.caching import CompileResultCacheImpl, FunctionCache, _CacheLocator
from numba.core.registry import CPUDispatcher, cpu_target

__all__ = ["compiled", "Kernel", "array", "FLOAT", "INT", "BOOL", "VEC3", "CACHE_DIR_ENV",
           "KernelCache", "kernel_cache", "kernel_sources", "kernels", "uncached",
           "GROUP_SECONDS_PER_KERNEL", "estimated_seconds", "WarmUp",
           "warm_up", "on_compile"]

#: Scalar argument types: float64, the platform's integer (``np.intp``) and bool.
FLOAT, INT, BOOL = types.float64, types.intp, types.boolean
#: A 3-vector as a tuple (the geometry kernels' points and directions, mm).
VEC3 = types.UniTuple(types.float64, 3)
#: Environment variable naming the cache root (a CI or Docker image's pre-compiled cache).
CACHE_DIR_ENV = "MVD_SIM_CACHE_DIR"
#: Compile time of one kernel, s of CPU, averaged over a package area's kernels
#: (:attr:`Kernel.group`), its callees in other areas compiled before it: a cold
#: ``warm_up()`` of all 101 kernels, areas in this order, on one core of a busy 2-core VM,
#: numba 0.68 (2026-12-07: 11.6, 16.8, 6.4 and 8.3 s). The first-run notice's estimate.
GROUP_SECONDS_PER_KERNEL = {"core": 0.28, "anatomy": 0.60, "contact": 0.42, "mechanics": 0.49}

_PACKAGE = Path(__file__).resolve().parents[1]
_DEFINES_KERNELS = re.compile(rb"^@compiled\b", re.MULTILINE)
_KERNELS: list[Kernel] = []
_ON_COMPILE: list[Callable[[Kernel], None]] = []


def array(ndim: int, dtype: str = "float64", *, writable: bool = False,
          contiguous: bool = False) -> types.Array:
    """The numba type of an array argument.

    Parameters
    ----------
    ndim : int
    dtype : str, default: ``"float64"``
        A numba type name (``"intp"``, ``"boolean"``, ...).
    writable : bool, default: False
        Whether the kernel writes it (else read-only, which also takes writable arrays).
    contiguous : bool, default: False
        C-contiguous only (the hot loops index it without strides); else any layout,
        strided views too.
    """
    return types.Array(getattr(types, dtype), ndim, "C" if contiguous else "A",
                       readonly=not writable)


def compiled(*argtypes: types.Type) -> Callable[[Callable], Kernel]:
    """Decorator: the function as a :class:`Kernel` of the declared argument types."""

    def decorate(function: Callable) -> Kernel:
        return Kernel(function, argtypes)

    return decorate


class Kernel(CPUDispatcher):
    """A numba dispatcher (``njit``) compiled for one declared signature, on first use.

    Kernels calling it see an ordinary dispatcher: when one of them is typed, this one is
    compiled (or loaded from the cache) first.

    Parameters
    ----------
    function : callable
    argtypes : sequence of numba types
        One per argument.
    """

    def __init__(self, function: Callable, argtypes: Sequence[types.Type]) -> None:
        super().__init__(function, targetoptions={"nopython": True})
        self.argtypes = tuple(argtypes)
        _KERNELS.append(self)

    @property
    def is_compiled(self) -> bool:
        """Whether the signature is compiled (or loaded) in this process."""
        return not self._can_compile

    @property
    def group(self) -> str:
        """The package area that defines it: the subpackage of ``mvd_sim`` (``"core"``,
        ``"anatomy"``, ``"contact"``, ``"mechanics"``)."""
        return self.py_func.__module__.split(".")[1]

    @property
    def is_cached(self) -> bool:
        """Whether the cache holds it (False where nothing can be cached)."""
        return kernel_cache().problem is None and self.index_file.exists()

    @property
    def index_file(self) -> Path:
        """The cache's index file of this kernel (it exists once the kernel is cached)."""
        return kernel_cache().folder / f"{_filename_base(self.py_func)}.nbi"

    def compile_declared(self) -> None:
        """Compile the declared signature, or load it from the cache; then no other."""
        if self._can_compile:
            if _ON_COMPILE and not self.is_cached:
                _ON_COMPILE[-1](self)
            if kernel_cache().problem is None:
                self._cache = _Cache(self.py_func)
            self.compile(self.argtypes)
            self.disable_compile()

    def _compile_for_args(self, *args, **kws):
        """numba's hook for a Python call that matches no compiled signature."""
        self.compile_declared()
        return self  # called again: the declared signature, or numba's TypeError

    def get_call_template(self, args, kws):
        """numba's hook for typing a call from another kernel."""
        self.compile_declared()
        return super().get_call_template(args, kws)


def kernels(groups: Sequence[str] | None = None) -> tuple[Kernel, ...]:
    """Every kernel of the modules imported so far (default), or those of the given package
    areas (:attr:`Kernel.group`), in the order they were defined."""
    return tuple(kernel for kernel in _KERNELS if groups is None or kernel.group in groups)


@contextmanager
def on_compile(callback: Callable[[Kernel], None]) -> Iterator[None]:
    """Within the block, ``callback(kernel)`` is called before each kernel is compiled
    (not when it is loaded from the cache), first use or :func:`warm_up` alike (the innermost
    such block only)."""
    _ON_COMPILE.append(callback)
    try:
        yield
    finally:
        _ON_COMPILE.remove(callback)


@dataclass(frozen=True)
class KernelCache:
    """Where compiled kernels are kept.

    Attributes
    ----------
    folder : Path
        ``<root>/<key[:16]>``.
    key : str
        SHA-256 (hex) of the kernel sources and the compiler.
    problem : str or None
        Why nothing can be cached in ``folder`` (kernels are then compiled in memory in
        every process); None where it can.
    """

    folder: Path
    key: str
    problem: str | None


@cache
def kernel_cache() -> KernelCache:
    """The cache of this process's kernels (made on first call, then fixed)."""
    key = _key()
    configured = os.environ.get(CACHE_DIR_ENV)
    root = (Path(configured).expanduser() if configured
            else Path(platformdirs.user_cache_dir("mvd-sim", appauthor=False)))
    folder = root / key[:16]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as err:
        return KernelCache(folder, key, f"cannot write {folder} ({err.strerror or err})")
    return KernelCache(folder, key, None)


def kernel_sources() -> tuple[Path, ...]:
    """The package's files that define kernels (a line starting ``@compiled``), and this
    one; the cache key hashes them."""
    here = Path(__file__).resolve()
    return tuple(sorted(path for path in _PACKAGE.rglob("*.py")
                        if path == here or _DEFINES_KERNELS.search(path.read_bytes())))


def _key() -> str:
    """SHA-256 (hex) of :func:`kernel_sources` (names and contents) and of the compiler."""
    digest = sha256()
    for path in kernel_sources():
        digest.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    compiler = (numba.__version__, llvmlite.__version__, np.__version__, sys.version,
                cpu_target.target_context.codegen().magic_tuple())
    digest.update(repr(compiler).encode())
    return digest.hexdigest()


def _filename_base(function: Callable) -> str:
    """numba's base name of a function's cache files (``module.qualname-line.py311``)."""
    fullname = f"{Path(inspect.getfile(function)).stem}.{function.__qualname__}"
    return (f"{fullname}-{function.__code__.co_firstlineno}"
            f".py{sys.version_info[0]}{sys.version_info[1]}{sys.abiflags}")


class _Locator(_CacheLocator):
    """Puts a kernel's cache files in :func:`kernel_cache`'s folder, stamped with its key."""

    def __init__(self, function: Callable) -> None:
        self._py_file = inspect.getfile(function)  # numba names it in its cache warnings
        self._lineno = function.__code__.co_firstlineno

    def get_cache_path(self) -> str:
        return str(kernel_cache().folder)

    def get_source_stamp(self) -> str:
        return kernel_cache().key

    def get_disambiguator(self) -> str:
        return str(self._lineno)


class _CacheImpl(CompileResultCacheImpl):
    """numba's cache of compile results, located by :class:`_Locator` only (numba's own
    locators, and ``NUMBA_CACHE_DIR``, stay for other code)."""

    def __init__(self, function: Callable) -> None:
        self._lineno = function.__code__.co_firstlineno
        self._locator = _Locator(function)
        self._filename_base = _filename_base(function)


class _Cache(FunctionCache):
    _impl_class = _CacheImpl


def uncached(among: Sequence[Kernel] | None = None) -> list[Kernel]:
    """The kernels (default: all of :func:`kernels`) neither compiled in this process nor
    in the cache: all not compiled here where nothing can be cached."""
    return [kernel for kernel in (kernels() if among is None else among)
            if not kernel.is_compiled and not kernel.is_cached]


def estimated_seconds(pending: Sequence[Kernel]) -> int:
    """About how long these kernels take to compile, s (a multiple of 5, at least 5): each
    at its area's :data:`GROUP_SECONDS_PER_KERNEL`."""
    seconds = sum(GROUP_SECONDS_PER_KERNEL[kernel.group] for kernel in pending)
    return max(5, 5 * math.ceil(seconds / 5))


@dataclass(frozen=True)
class WarmUp:
    """What :func:`warm_up` did.

    Attributes
    ----------
    kernels : int
        Kernels compiled or loaded.
    compiled : int
        Of them, compiled (the rest came from the cache).
    seconds : float
    cache : KernelCache
    """

    kernels: int
    compiled: int
    seconds: float
    cache: KernelCache


def warm_up(among: Sequence[Kernel] | None = None,
            progress: Callable[[int, int], None] | None = None) -> WarmUp:
    """Compile kernels (default: all of :func:`kernels`) into the cache, or load them.

    Parameters
    ----------
    among : sequence of Kernel, optional
    progress : callable, optional
        Called as ``progress(done, total)`` after each kernel (a kernel's callees are
        compiled with it, so ``done`` may jump).
    """
    chosen = kernels() if among is None else tuple(among)
    misses = sum(sum(kernel.stats.cache_misses.values()) for kernel in chosen)
    start = time.perf_counter()
    for kernel in chosen:
        kernel.compile_declared()
        if progress is not None:
            progress(sum(k.is_compiled for k in chosen), len(chosen))
    misses = sum(sum(kernel.stats.cache_misses.values()) for kernel in chosen) - misses
    return WarmUp(len(chosen), misses, time.perf_counter() - start, kernel_cache())
