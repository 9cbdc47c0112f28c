"""Blueprints, one per audience area."""
