"""Uploaded bytes on disk: the content-addressed blob store and image processing.

No database here: ``domain/actions/files.py`` decides which blobs are still referenced.
"""
