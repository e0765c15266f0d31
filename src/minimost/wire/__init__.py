"""The wire contract: every shape the API and the socket carry, defined once.

``models``: the shared shapes (message, user, conversation, file, …); ``events``: the closed
set of event types with payload model, audience and replay rule; ``frames``: every socket
frame. Imports pydantic only: the domain builds these, the web layer serves them, and neither
HTTP nor the database is needed to read the contract.
"""
