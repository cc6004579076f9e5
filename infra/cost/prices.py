"""List prices used by the cost model (USD per month unless the name says otherwise).

Every price names its public source and the date it was read. Prices move: update the
value, the date and the README cost table together. Targets add their provider's prices here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Price:
    usd: float
    unit: str
    source: str
    checked: str  # ISO date the source was read


HOURS_PER_MONTH = 730

PRICES: dict[str, Price] = {}
