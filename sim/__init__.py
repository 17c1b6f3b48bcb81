"""cxsim: an agent-based simulation of how the people inside a B2B service company shape
what its customers experience."""

#: the one place the version is written; pyproject.toml reads it from here
__version__ = "0.1.0"
