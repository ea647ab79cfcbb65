"""The original storefront's client can point at us unchanged."""

from __future__ import annotations

from tests.ingest.conftest import Ingest


def test_legacy_payload_is_accepted_as_sent_and_stored_in_canonical_form(ingest: Ingest) -> None:
    response = ingest.post(
        {
            "eventName": "add_to_cart_click",
            "pageUrl": "https://shop.example/p/42",
            "userId": "u-claimed",
            "userLoginState": "logged_in",
            "clientId": "c-9",
            "sessionId": "s-9",
            "isFirstVisit": True,
            "product": {"id": "42", "name": "Teapot", "price": 19.99, "urlPath": "/p/42"},
            "element": {"tag": "button", "text": "Add", "dataset": {"sku": "T-42"}},
        }
    )

    assert response.status_code == 202, response.text
    [record] = ingest.stored()
    assert record["event_name"] == "add_to_cart"
    assert record["page_url"] == "https://shop.example/p/42"
    assert record["client_id"] == "c-9"
    assert record["is_first_visit"] is True
    assert record["product"] == {"id": "42", "name": "Teapot", "price": 19.99, "url_path": "/p/42"}
    assert record["properties"] == {
        "element": {"tag": "button", "text": "Add", "dataset": {"sku": "T-42"}}
    }
    # A claimed identity is never trusted: only a verified token sets it.
    assert record["user_id"] is None
    assert record["user_login_state"] == "guest"


def test_invalid_legacy_payload_is_refused_by_canonical_field(ingest: Ingest) -> None:
    response = ingest.post({"eventName": "checkout_complete", "product": {"price": "dear"}})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "product.price"
    assert ingest.stored() == []
