"""API keys, for administrators: list, create (the secret is shown once) and revoke."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from api.deps import KB, IsAdmin, call, known_id
from kb.models import ApiKey, Role

router = APIRouter(prefix="/keys", tags=["keys"])


class KeyCreate(BaseModel):
    role: Role
    name: str = Field("", max_length=200)


class CreatedKey(BaseModel):
    key: ApiKey
    secret: str = Field(description="The key itself: shown once, only its hash is stored")


@router.get("", response_model=list[ApiKey])
def list_keys(kb: KB, _: IsAdmin) -> list[ApiKey]:
    return call(kb.keys.list)


@router.post("", response_model=CreatedKey, status_code=201)
def create_key(body: KeyCreate, kb: KB, _: IsAdmin) -> CreatedKey:
    record, secret = call(kb.keys.create, body.role, body.name)
    return CreatedKey(key=record, secret=secret)


@router.delete("/{key_id}", status_code=204, responses={404: {"description": "No such key"}})
def revoke_key(key_id: str, kb: KB, _: IsAdmin) -> None:
    if not call(kb.keys.revoke, known_id(key_id, "key")):
        raise HTTPException(status_code=404, detail="No key with that id")
