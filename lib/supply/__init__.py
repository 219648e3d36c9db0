"""Physical side of the gap: mine production, China's share by stage, Western pipeline.

Pure and typed (no Streamlit). Data lives in ``data/supply/*.csv``. One job per module:
:mod:`.schema` (what each file must hold), :mod:`.load` (read and type), :mod:`.editions`
(USGS edition order and wording), :mod:`.production` (mine output and China's share),
:mod:`.capacity` (capacity that is capacity, per stage and unit), :mod:`.imports` (US import
dependence), :mod:`.headline` (same-basis gap figures), :mod:`.scoreboard` (per-stage gap
scoreboard and sentences), :mod:`.equities` (listed builders and prices); :mod:`.charts` and
:mod:`.capacity_charts` build the Altair charts.
"""
