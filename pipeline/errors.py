"""Exceptions that the command line reports in one line with exit code 2 (bad input, like a usage error)."""


class SpinsweepError(Exception):
    """A problem with the user's input or request; the CLI prints it in one line, exit code 2."""


class SpecError(SpinsweepError):
    """A workflow file that does not validate: names the field, the value and what is allowed."""


class CatalogError(SpinsweepError):
    """A catalog request that cannot be served (unknown sweep, changed workflow under an existing name...)."""


class ReductionError(SpinsweepError):
    """A reduction refused because the data cannot support it (one size only, T grid not bracketing...)."""
