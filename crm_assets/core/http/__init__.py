"""The one HTTP client every source uses: sessions, retries, rate limits, errors,
credentials kept out of text. Imports no other part of core."""
