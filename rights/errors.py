"""The refusal raised when the rights registry does not allow an action."""

from __future__ import annotations

from twinkit.core.errors import TwinkitError


class RightsError(TwinkitError):
    """No consent or active licence covers the request, or the registry disagrees with an input."""

    exit_code = 3
