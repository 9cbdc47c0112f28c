"""Authoring services used by the authoring pages: drafts, checks, previews, publishing, versions."""
