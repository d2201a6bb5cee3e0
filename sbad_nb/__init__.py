__version__ = "0.1.0"

from . import core as _core   # first: finds the work directory and keeps third-party caches in it (see 00_core)
