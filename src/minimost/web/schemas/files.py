"""Uploads and profiles."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

from minimost.domain.actions.profile import MAX_DISPLAY_NAME

from .common import FileOut, Text, UserOut


class FileUploadOut(BaseModel):
    file: FileOut


class ProfileIn(BaseModel):
    """Only the fields given change. ``color`` null goes back to the default colour."""

    model_config = ConfigDict(extra="forbid")
    # Trimmed and checked again in the action (whitespace runs, control characters).
    display_name: Annotated[Text, StringConstraints(max_length=MAX_DISPLAY_NAME)] | None = None
    color: Annotated[Text, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")] | None = None

    @model_validator(mode="after")
    def _something(self) -> ProfileIn:
        if not self.model_fields_set:
            raise ValueError("give display_name and/or color")
        return self


class ProfileOut(BaseModel):
    user: UserOut


def multipart_body(description: str) -> dict[str, Any]:
    """OpenAPI for a route that reads one ``file`` part from the raw stream itself."""
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                }
            },
        }
    }
