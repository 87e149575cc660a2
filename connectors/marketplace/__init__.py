"""A marketplace's customer-service API as a Rasa channel: signed webhooks in, REST out (see wire.py)."""

from connectors.marketplace.channel import MarketplaceInput, MarketplaceOutput

__all__ = ["MarketplaceInput", "MarketplaceOutput"]
