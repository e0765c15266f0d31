"""Full-text message search behind one interface: ``parse`` (the query language, pure),
``snippet`` (escaped, marked excerpts), and one backend per dialect (``sqlite`` FTS5,
``postgres`` tsvector). ``domain.queries.search`` is the entry point that applies access."""
