"""Reads, likes and shares (part 2 of the interaction platform): events buffered on the
request path (`buffer`), folded into daily roll-ups by a periodic job (`fold`)."""
