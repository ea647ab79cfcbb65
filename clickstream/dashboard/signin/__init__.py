"""Who may see the dashboard: accounts, sign-in links, session cookies, OIDC, and the gate."""
