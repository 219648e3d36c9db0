"""Physical side of the gap: mine production, China's share by stage, Western pipeline.

Pure and typed (no Streamlit). Data lives in ``data/supply/*.csv``; :mod:`.schema` says
what each file must hold, :mod:`.load` reads and types it, :mod:`.model` computes shares,
revisions, pipeline sums and sentences, :mod:`.charts` builds the Altair charts.
"""
