"""Market outlook: publishers' projections made comparable, NdPr prices, and their charts."""
