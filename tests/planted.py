"""A pickle that does something when loaded: planted in checkpoints to prove they are never unpickled."""

from __future__ import annotations


class Planted:
    """Unpickling this creates the file ``path``: if it exists, a planted pickle ran."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))
