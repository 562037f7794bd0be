"""Services are called without HTTP: a session on the real database and a user of the world."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.orm import Session

from agent.auth import Principal, principal_of
from agent.crm.db import Store, open_store
from agent.crm.models import User
from agent.settings import Settings
from api.planning import forget_plans
from tests.api.world import World, build_world


@pytest.fixture
def store(api_settings: Settings) -> Store:
    return open_store(api_settings.db_url)


@pytest.fixture
def world(store: Store) -> World:
    forget_plans()
    return build_world(store)


@pytest.fixture
def session(store: Store, world: World) -> Iterator[Session]:
    with store.session() as session:
        yield session


@pytest.fixture
def as_user(session: Session, world: World) -> Callable[[str], Principal]:
    """The principal of a user of the world, by username."""

    def principal(username: str) -> Principal:
        user = session.get(User, world.users[username])
        assert user is not None
        return principal_of(session, user)

    return principal
