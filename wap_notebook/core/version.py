"""The package version, in a module every layer may import (the root package loads the notebook skin)."""

__version__ = "0.1.0"
