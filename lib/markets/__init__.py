"""Views derived from prices: the Prices page's view model, Home's overview, risk and valuation.

`lib.prices` is the data boundary (where prices come from); this package is what we compute
from them.
"""
