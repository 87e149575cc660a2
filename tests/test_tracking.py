"""The carrier client against the demo carrier service over real HTTP."""

import time

import pytest

from actions.tracking import CarrierClient, CarrierUnavailable


@pytest.fixture
def client(carrier) -> CarrierClient:
    return CarrierClient(carrier, "demo-key", timeout_s=1.0, retries=2)


def test_events_for_a_shipment(client):
    t = client.track("SP000000010")
    assert t.events[0].status == "picked_up" and t.status in ("in_transit", "picked_up", "delivered")


def test_unknown_number(client):
    assert client.track("SP999999999") is None


def test_bad_key_is_an_error_not_a_retry(carrier):
    with pytest.raises(CarrierUnavailable, match="401"):
        CarrierClient(carrier, "wrong").track("SP000000010")


def test_5xx_then_unavailable(client, misbehave):
    misbehave(fail_status=502)
    with pytest.raises(CarrierUnavailable, match="502"):
        client.track("SP000000010")


def test_never_waits_more_than_3_seconds(carrier, misbehave):
    misbehave(delay_s=5)
    slow = CarrierClient(carrier, "demo-key", timeout_s=2.0, retries=5)
    started = time.monotonic()
    with pytest.raises(CarrierUnavailable):
        slow.track("SP000000010")
    assert time.monotonic() - started < 3.3


def test_nothing_listening():
    with pytest.raises(CarrierUnavailable):
        CarrierClient("http://127.0.0.1:1", "k", timeout_s=0.5).track("SP1")
