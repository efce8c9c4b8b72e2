"""Fixtures for the administration tests: a signed-in site admin, a county, more clients."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from peixun.accounts.models import User
from peixun.spaces.models import Space
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_admin, make_region


@pytest.fixture
def admin(login_as) -> User:
    """The site admin, signed in on `client`."""
    user = make_admin("boss")
    login_as(user)
    return user


@pytest.fixture
def county(app: Flask) -> Space:
    city = make_region("黔西南州", level="city")
    return make_region("兴义市", parent=city)


def sign_in_client(app: Flask, username: str, password: str = PASSWORD) -> tuple[FlaskClient, int]:
    """A second browser: a fresh client and the status of its sign-in attempt."""
    other = app.test_client()
    token = csrf_token(other, "/login")
    response = other.post("/login", data={"username": username, "password": password, "csrf_token": token})
    return other, response.status_code


@pytest.fixture
def sign_in(app: Flask) -> Callable[..., FlaskClient]:
    """Sign a user in on a client of her own (the admin keeps `client`)."""

    def do(user: User, password: str = PASSWORD) -> FlaskClient:
        other, status = sign_in_client(app, user.username, password)
        assert status == 302, f"{user.username} could not sign in"
        return other

    return do
