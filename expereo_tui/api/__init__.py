"""The expereoOne API V2: async httpx client, auth, rate limiting, models. No Textual here."""
