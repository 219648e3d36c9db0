"""Alerts on watchlists: rules per list and owner, an idempotent evaluation, and delivery
through an outbox (in-app inbox always; email and webhook when configured).

``rules`` validates what a user asks for; ``evaluate`` turns prices and events into firings
(pure); ``outbox`` records firings and the messages they cause in one transaction;
``deliver`` sends pending messages with bounded retries; ``store`` is the owner-scoped CRUD;
``addresses`` decides where email may go (typed addresses are confirmed by a one-time code).
"""
