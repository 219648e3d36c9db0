"""Rare Earths Revival: the product's logic, importable and testable without a browser."""
