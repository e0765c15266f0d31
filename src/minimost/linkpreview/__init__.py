"""Link previews: fetch a page's title, description and site name server-side, safely.

``addresses`` decides which IP addresses may be contacted, ``fetch`` is the guarded HTTP
client (resolve once, check every address, connect to the checked one), ``parse`` reads the
page's metadata, and ``service`` runs it all in the background after a send commits.
See docs/link-previews.md for the trade-offs.
"""
