"""The JSON API's routers, one module per feature; ``create_app`` includes them all."""

from fastapi import APIRouter

from . import (
    account,
    auth,
    channels,
    conversations,
    files,
    mentions,
    messages,
    pins,
    previews,
    profile,
    reactions,
    search,
    users,
)

API_ROUTERS: tuple[APIRouter, ...] = tuple(
    module.router
    for module in (
        account,
        auth,
        channels,
        conversations,
        files,
        mentions,
        messages,
        pins,
        previews,
        profile,
        reactions,
        search,
        users,
    )
)
