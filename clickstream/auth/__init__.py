"""The user pool: accounts, argon2id passwords, reset links, CSRF and RS256 tokens."""
