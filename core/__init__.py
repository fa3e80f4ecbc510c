"""Below every app: small helpers any app may import (no models, no app imports).

`core.spreadsheet` neutralises formula-like cells in every export; `core.richtext`
is the one rich-text sanitiser for storage and output."""
