"""Certificates: codes, stored snapshots, the PDF and the signed Open Badges 3.0 credential.

Everything in this package is pure (no Flask, no database): the web layer
decides when to issue and where to store, these modules decide what a
certificate says and how it is proven.
"""
