"""The only Streamlit code: frame, cached loaders, URL/session state, widgets, one view per page.

Pages import from here (and constants) only; everything under it may import the domain packages.
"""
