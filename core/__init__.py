"""Below every app: small helpers any app may import (no models, no app imports).

Environment parsing (`core.env`), the database helpers and middleware (`core.db`,
`core.middleware`), the degrading Redis cache backend (`core.cache`), stored-file
protection (`core.files`), the client address behind trusted proxies (`core.client_ip`),
the development-profile guard (`core.dev_guard`); `core.spreadsheet` neutralises
formula-like cells in every export; `core.richtext` is the one rich-text sanitiser for
storage and output. `config` (settings, urls, wsgi) wires these; nothing here imports
`config` or an app."""
