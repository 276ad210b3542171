"""Give memory back to the system after a burst of work (issue 30).

A first sync parses hundreds of pages: their response bodies, JSON and models are freed as each
page is stored, but glibc keeps the freed heap for reuse, and the process stays at its peak. On
an xl account (100,000 cases) that was 71 MB "freed but kept" of an RSS of 227 MB; ``malloc_trim``
hands it back. Elsewhere than glibc (macOS, musl) there is no such call and nothing is done."""

from __future__ import annotations

import sys

_trim: object = None  # the C function, once looked up; False where there is none


def give_back() -> bool:
    """``malloc_trim(0)``: whether it ran (glibc only). Thread-safe; takes milliseconds."""
    global _trim
    if _trim is None:
        _trim = False
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                _trim = ctypes.CDLL("libc.so.6").malloc_trim
            except (OSError, AttributeError):  # not glibc
                _trim = False
    if _trim is False:
        return False
    _trim(0)  # type: ignore[operator]
    return True


#: glibc's ``mallopt`` parameters: the size from which a block is mapped on its own, and the
#: most malloc arenas (heaps that threads allocate from) the process may have
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
MAPPED_FROM = 128 * 1024  # glibc's own starting value, kept from moving up
ARENAS = 1


def settle() -> bool:
    """Keep blocks of 128 KiB and more mapped on their own, whatever was freed before, and
    every thread allocating from one heap: whether both were set (glibc only).  Call it before
    the app starts its threads (an arena, once a thread has it, stays).

    glibc starts at 128 KiB, but raises the threshold to the size of each mapped block freed
    (up to 32 MB), so an app that builds and drops a large index (the inbox's, every few polls)
    ends up with its blocks in the heap, and the heap with holes that no trim gives back.  Set
    once, the threshold stays put and a dropped block goes back to the system whole.

    glibc also gives each new thread a heap of its own (up to 8 per core) so that threads do
    not wait for each other's allocations.  Ours mostly wait for the network or hold Python's
    GIL, so those heaps buy nothing, and each keeps its own free blocks: on a large account
    (10,000 cases) the sync's and the UI's heaps together kept ~1.8 MB more than one heap does
    (issue 30, ``memory_bench``)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    mapped = bool(mallopt(M_MMAP_THRESHOLD, MAPPED_FROM))
    return bool(mallopt(M_ARENA_MAX, ARENAS)) and mapped
