"""Routes of this feature (load → check → act → render)."""
from . import bp  # noqa: F401
