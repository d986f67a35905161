"""Building blocks every layer shares: naming rules, SQL quoting, URIs, option values, progress, Arrow helpers."""
