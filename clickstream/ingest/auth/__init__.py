"""Who sent a request: bearer tokens verified against a JWKS."""
