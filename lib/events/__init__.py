"""Policy events: the dated timeline, the event study of price reactions, and their charts."""
