"""Exceptions raised by the library, each carrying a message that says how to fix the problem.

    RagError
    ├── ConfigError    settings or stored data that do not fit together (e.g. a collection built
    │                  with another embedding model)
    ├── IngestError    an input file that cannot be read as an article
    ├── BackendError   Chroma, the embedding model or the LLM endpoint failed
    └── PromptError    a prompt template is missing or a placeholder has no value

The CLI and UI turn any of these into one readable line; nothing below them prints.
"""


class RagError(Exception):
    """Base class for every error the library raises on purpose."""


class ConfigError(RagError):
    """Settings or stored data are inconsistent."""


class IngestError(RagError):
    """An input file could not be turned into articles."""

    def __init__(self, path: str, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class BackendError(RagError):
    """A backend (vector store, embedder, LLM endpoint) failed."""


class PromptError(RagError):
    """A prompt template could not be filled."""
