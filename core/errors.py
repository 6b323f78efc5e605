"""The few failures a user can act on. Raised anywhere below; turned into one line and an exit
code (CLI) or a message (UI, API) only at those edges."""

from __future__ import annotations


class PolicyQAError(Exception):
    """Base: ``str(error)`` is the message shown to the user; ``exit_code`` is the CLI's status."""

    exit_code = 1


class ConfigError(PolicyQAError, ValueError):
    """The settings cannot work, e.g. the openai backend without an endpoint."""

    exit_code = 2


class EmptyIndexError(PolicyQAError):
    """A question or study pack was asked of an index that holds nothing."""

    exit_code = 2


class BadQuestion(PolicyQAError, ValueError):
    """A question that cannot be asked as it is: empty, too long, or without a word in it."""

    exit_code = 2


class BackendUnreachable(PolicyQAError):
    """The LLM endpoint did not answer (refused, timed out, or failed)."""

    exit_code = 3


class BadInputFile(PolicyQAError):
    """One input file cannot be read; ingest reports it and goes on with the rest."""


class StoreUnreachable(PolicyQAError):
    """The configured Chroma server did not answer."""

    exit_code = 3


class IndexBusy(PolicyQAError):
    """Another process is changing the index (ingest and removal take turns), or another data
    directory is the one that writes the shared collection."""

    exit_code = 4


class BadBackup(PolicyQAError):
    """A backup archive that cannot be restored here: damaged, of another model, or a library in the way."""

    exit_code = 2
