"""Issue 21: the Prices page states the data-quality caveats of the series it shows."""

from __future__ import annotations

from tests.apptest_frame import page_app

PRICES = "pages/1_Prices.py"


def test_prices_states_vml_break_asx_gap_and_jpy_fx() -> None:
    at = page_app(
        PRICES, state={"px_symbols": ["VML.AX", "4063.T", "LYC.AX"], "px_range": "Max"}
    ).run()
    assert not at.exception, [e.value for e in at.exception]
    captions = " ".join(c.value for c in at.caption).replace("\\", "")  # markdown escapes
    assert "VML" in captions and "share consolidation" in captions and "2025" in captions
    assert "spans three weeks" in captions  # the ASX source gap
    assert "4063" in captions and "adjusted for later dividends" in captions
    # USD: no offline yen rates, so 4063.T is named, never shown in yen as dollars.
    at.segmented_control(key="px_ccy").set_value("USD").run()
    assert not at.exception
    infos = " ".join(i.value for i in at.info).replace("\\", "")
    assert "4063" in infos and "JPY=X" in infos and "not shown in USD" in infos
