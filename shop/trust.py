"""Channel trust: a connector that verified who the buyer is vouches for them with a signature.

A marketplace's signed webhook (or a logged-in shop page) puts
``{"kefu_verified": {"customer_id": ID, "sig": sign_customer(secret, sender_id, ID)}}`` in the
message metadata. The actions count a valid claim as proof of that customer's orders; anything
unsigned or badly signed is ignored, so a REST caller cannot claim to be someone else. With no
secret (KEFU_CHANNEL_SECRET unset outside the demo) no claim is made and none is believed.
"""

from __future__ import annotations

import hmac
from hashlib import sha256
from typing import Any, Dict, Optional

CLAIM_KEY = "kefu_verified"  # in a user message's metadata


def sign_customer(secret: str, sender_id: str, customer_id: str) -> str:
    msg = f"{sender_id}:{customer_id}".encode()
    return hmac.new(secret.encode(), msg, sha256).hexdigest()


def claim(secret: str, sender_id: str, customer_id: str) -> Dict[str, Dict[str, str]]:
    """The metadata entry a verifying channel adds to a message (none without a secret)."""
    if not secret:
        return {}
    return {CLAIM_KEY: {"customer_id": customer_id, "sig": sign_customer(secret, sender_id, customer_id)}}


def verified_customer(secret: str, sender_id: str, metadata: Optional[Dict[str, Any]]) -> Optional[str]:
    """The customer id a message's metadata proves, or None if it proves nothing."""
    found = (metadata or {}).get(CLAIM_KEY)
    if not secret or not isinstance(found, dict):
        return None
    cid, sig = str(found.get("customer_id", "")), str(found.get("sig", ""))
    return cid if cid and hmac.compare_digest(sig, sign_customer(secret, sender_id, cid)) else None
