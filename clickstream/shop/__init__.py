"""The web shop: catalogue, cart, checkout and orders on its own PostgreSQL database."""
