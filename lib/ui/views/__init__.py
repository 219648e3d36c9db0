"""One module per page: the cached pipeline that page renders, on small scalar keys."""
