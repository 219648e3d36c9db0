"""Supply gap: is the West closing the rare-earth gap in tonnes, not only in share prices?"""

from __future__ import annotations

from lib.ui import frame
from lib.ui.views import supply

frame.page_setup(
    "Supply gap",
    ":material/factory:",
    "Who mines, separates and makes magnets, how fast Western capacity is coming, and whether "
    "the US imports less. Every figure keeps its edition, source and confidence.",
)

supply.render_page()
